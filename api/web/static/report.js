// The report of a self-check, rendered from the API's answer and nothing else: the outcome in plain words,
// every criterion with its measured value, limit, margin and a bar of how close the value is to the limit,
// the basic requirements, the missing evidence as a checklist, the labels, and the clause of each line.

import { bilingual, fmtNumber, fmtQuantity, h, svg } from "./dom.js";
import { lang, pick, t } from "./i18n.js";

const BAR_WIDTH = 120;
const BAR_HEIGHT = 14;

/** Render `response` (an EvaluationOut) into `section`. `ctx.category`: the category's catalogue entry;
 * `ctx.operators`: name -> the engine's operator (GET /v1/operators). */
export function renderReport(section, response, ctx) {
  const ticked = new Set([...section.querySelectorAll("#missing input:checked")].map((el) => el.dataset.ref));
  const d = response.decision;
  const cur = lang();
  const attributes = new Map(((ctx.category && ctx.category.attributes) || []).map((a) => [a.id, a.name]));
  const units = new Map(((ctx.category && ctx.category.certification_units) || []).map((u) => [u.id, u.name]));
  const names = new Map();
  for (const c of d.criteria) names.set(c.id, { zh: c.name_zh, en: c.name_en });
  for (const r of d.basic_requirements) names.set(r.id, { zh: r.name_zh, en: r.name_en });
  names.set("factory_inspection", { zh: "工厂检查", en: "Factory inspection" });

  const title = h("h2", { id: "report-title", tabindex: "-1", text: t("report_title") });
  const outcome = h("div", { id: "outcome", class: `outcome outcome-${d.outcome}`, dataset: { outcome: d.outcome } },
    h("p", { class: "outcome-word" }, h("strong", { text: t(`outcome_${d.outcome}`) })),
    h("p", { class: "outcome-text", text: t(`outcome_${d.outcome}_text`) }));
  const note = h("p", { class: "not-binding", id: "not-binding", role: "note", text: t("not_binding") });

  const unitName = d.certification_unit ? units.get(d.certification_unit) : null;
  const summary = h("dl", { class: "summary" },
    item(t("sum_model"), d.product_model),
    item(t("sum_category"), ctx.category ? pick(ctx.category.name) : d.category),
    item(t("sum_unit"), unitName ? pick(unitName) : (d.certification_unit || "—")),
    item(t("sum_standard"), d.standard),
    item(t("sum_rule"), d.implementation_rule || "—"),
    item(t("sum_evaluated"), d.evaluated_on),
    d.application_id ? item(t("sum_application"), d.application_id) : null,
    item(t("sum_stored"), response.stored ? t("stored_as", { id: response.id }) : t("not_stored")),
    item(t("sum_version"), h("code", { class: "version", text: d.ruleset_version })));

  const actions = h("div", { class: "report-actions" },
    h("button", { type: "button", id: "download-json", text: t("download_json"),
      onclick: () => downloadJson(response) }),
    h("button", { type: "button", id: "print-report", text: t("print"), onclick: () => window.print() }));

  section.replaceChildren(title, outcome, note, summary, actions,
    criteriaTable(d, attributes, cur, ctx.operators || new Map()),
    basicTable(d, cur),
    missingList(d, names, cur, ticked),
    labelList(d, attributes, names, cur),
    caveats(d));
  section.hidden = false;
}

function item(term, value) {
  return [h("dt", { text: term }), h("dd", {}, value)];
}

function verdictChip(verdict, reason) {
  const chip = h("span", { class: `verdict verdict-${verdict}`, dataset: { verdict }, text: t(`verdict_${verdict}`) });
  if (!reason) return chip;
  const key = `reason_${reason}`;
  const words = t(key);
  return h("span", {}, chip, h("span", { class: "reason", text: words === key ? reason : words }));
}

function scrollable(table, labelText) {
  // a wide table scrolls on its own; focusable so the keyboard can scroll it too
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": labelText }, table);
}

function measuredCell(c) {
  const m = c.measured;
  if (!m) return h("td", { class: "measured", text: "—" });
  const cell = h("td", { class: "measured" });
  if (m.not_detected) cell.append(t("not_detected_below", { value: fmtQuantity(m.value, m.unit) }));
  else cell.append(fmtQuantity(m.value, m.unit));
  const reportedDiffers = m.reported_unit && m.reported_unit !== m.unit;
  if (reportedDiffers && !m.not_detected) {
    cell.append(h("br"), h("span", { class: "small", text: t("reported_as",
      { value: fmtQuantity(m.reported_value, m.reported_unit) }) }));
  }
  if (c.evidence) cell.append(h("br"), h("span", { class: "small evidence", text: c.evidence.id }));
  return cell;
}

function marginCell(c) {
  if (c.margin === null || c.margin === undefined) return h("td", { class: "margin", text: "—" });
  const sign = c.margin > 0 ? "+" : "";
  const cell = h("td", { class: "margin", dataset: { margin: String(c.margin) } },
    h("span", { class: "margin-value", text: `${sign}${fmtQuantity(c.margin, c.limit_unit)}` }));
  if (c.margin_relative !== null && c.margin_relative !== undefined) {
    const pct = `${sign}${fmtNumber(c.margin_relative * 100)} %`;
    cell.append(h("br"), h("span", { class: "small", text: t("margin_rel", { pct }) }));
  }
  return cell;
}

/** An inline SVG bar: the value against the limit, drawn to one scale, on the side of the limit the criterion's
 * operator allows (its `bound`, from the engine's registry: upper, lower, range); nothing for other operators. */
export function closenessBar(c, operators) {
  const m = c.measured;
  if (!m || typeof m.value !== "number" || c.limit === null || c.limit === undefined) return null;
  const v = m.value;
  const q = (x) => fmtQuantity(x, c.limit_unit);
  const pass = c.verdict === "pass";
  const cls = pass ? "bar-pass" : "bar-fail";
  const op = operators.get(c.op);
  const bound = op ? op.bound : null;
  if ((bound === "upper" || bound === "lower") && typeof c.limit === "number" && c.limit > 0 && v >= 0) {
    const limit = c.limit;
    const scale = Math.max(limit, v) * 1.25;
    const x = (n) => Math.max(0, Math.min(BAR_WIDTH, (n / scale) * BAR_WIDTH));
    const upper = bound === "upper";
    const pct = `${fmtNumber((v / limit) * 100)} %`;
    const label = t(upper ? "bar_upper" : "bar_lower", { value: q(v), limit: q(limit), pct });
    return svg("svg", { class: "bar", width: BAR_WIDTH, height: BAR_HEIGHT, viewBox: `0 0 ${BAR_WIDTH} ${BAR_HEIGHT}`,
      role: "img", "aria-label": label },
    svg("title", {}, label),
    svg("rect", { class: "bar-track", x: 0, y: 3, width: BAR_WIDTH, height: BAR_HEIGHT - 6, rx: 2 }),
    // the allowed side of the limit, lightly shaded
    upper ? svg("rect", { class: "bar-allowed", x: 0, y: 3, width: x(limit), height: BAR_HEIGHT - 6, rx: 2 })
      : svg("rect", { class: "bar-allowed", x: x(limit), y: 3, width: BAR_WIDTH - x(limit), height: BAR_HEIGHT - 6 }),
    svg("rect", { class: `bar-value ${cls}`, x: 0, y: 4, width: Math.max(1.5, x(v)), height: BAR_HEIGHT - 8, rx: 1 }),
    svg("rect", { class: "bar-limit", x: Math.min(BAR_WIDTH - 2, x(limit) - 1), y: 0, width: 2, height: BAR_HEIGHT }));
  }
  if (bound === "range" && Array.isArray(c.limit) && c.limit.length === 2 && v >= 0) {
    const [low, high] = c.limit;
    if (typeof low !== "number" || typeof high !== "number" || high <= 0) return null;
    const scale = Math.max(high, v) * 1.25;
    const x = (n) => Math.max(0, Math.min(BAR_WIDTH, (n / scale) * BAR_WIDTH));
    const label = t("bar_range", { value: q(v), low: q(low), high: q(high) });
    return svg("svg", { class: "bar", width: BAR_WIDTH, height: BAR_HEIGHT, viewBox: `0 0 ${BAR_WIDTH} ${BAR_HEIGHT}`,
      role: "img", "aria-label": label },
    svg("title", {}, label),
    svg("rect", { class: "bar-track", x: 0, y: 3, width: BAR_WIDTH, height: BAR_HEIGHT - 6, rx: 2 }),
    svg("rect", { class: "bar-allowed", x: x(low), y: 3, width: x(high) - x(low), height: BAR_HEIGHT - 6 }),
    svg("rect", { class: `bar-marker ${cls}`, x: Math.min(BAR_WIDTH - 3, x(v) - 1.5), y: 0, width: 3, height: BAR_HEIGHT }));
  }
  return null;
}

// The limit and, under it, how strong its source is (`limit_status`: primary, secondary, unconfirmed, default).
function limitCell(c) {
  const cell = h("td", { class: "limit" }, c.requirement);
  if (c.limit_status && c.limit_status !== "none") {
    cell.append(h("br"), h("span", { class: `small strength strength-${c.limit_status}`, dataset: { strength: c.limit_status },
      text: t(`strength_${c.limit_status}`) }));
  }
  return cell;
}

function criteriaTable(d, attributes, cur, operators) {
  const head = h("tr", {}, ...["col_criterion", "col_verdict", "col_measured", "col_limit", "col_margin",
    "col_closeness", "col_clause"].map((k) => h("th", { scope: "col", text: t(k) })));
  const body = h("tbody");
  for (const c of d.criteria) {
    const attr = attributes.get(c.attribute);
    const nameCell = h("th", { scope: "row", class: "criterion-name" }, bilingual({ zh: c.name_zh, en: c.name_en }, cur),
      h("br"), h("span", { class: "tag", text: attr ? pick(attr) : c.attribute }),
      c.optional ? h("span", { class: "tag", text: "optional" }) : null);
    const verdictCell = h("td", { class: "verdict-cell" }, verdictChip(c.verdict, c.reason));
    if (c.detail && c.verdict !== "pass") verdictCell.append(h("span", { class: "small detail", text: c.detail }));
    const bar = closenessBar(c, operators);
    body.append(h("tr", { dataset: { criterion: c.id, verdict: c.verdict } },
      nameCell, verdictCell, measuredCell(c), limitCell(c), marginCell(c),
      h("td", { class: "closeness" }, bar || "—"),
      h("td", { class: "clause" }, c.clause, c.source ? h("span", { class: "small source", text: c.source }) : null)));
  }
  const table = h("table", { id: "criteria", class: "criteria" }, h("thead", {}, head), body);
  return h("section", { "aria-labelledby": "criteria-title" },
    h("h3", { id: "criteria-title", text: t("criteria_title") }), scrollable(table, t("criteria_title")));
}

function basicTable(d, cur) {
  const body = h("tbody");
  for (const r of d.basic_requirements) {
    const ev = r.evidence ? `${r.evidence.id}${r.evidence.valid_until ? ` (→ ${r.evidence.valid_until})` : ""}` : "—";
    const verdict = h("td", {}, verdictChip(r.verdict, r.reason));
    if (r.detail && r.verdict !== "pass") verdict.append(h("span", { class: "small detail", text: r.detail }));
    body.append(h("tr", { dataset: { requirement: r.id, verdict: r.verdict } },
      h("th", { scope: "row" }, bilingual({ zh: r.name_zh, en: r.name_en }, cur)), verdict,
      h("td", { text: ev }), h("td", { class: "clause", text: r.clause })));
  }
  const fi = d.factory_inspection;
  if (fi) {
    const verdict = h("td", {}, verdictChip(fi.verdict, fi.reason));
    if (fi.detail && fi.verdict !== "pass") verdict.append(h("span", { class: "small detail", text: fi.detail }));
    if (fi.deadline) verdict.append(h("br"), h("span", { class: "small", text: t("missing_due", { date: fi.deadline }) }));
    body.append(h("tr", { dataset: { requirement: "factory_inspection", verdict: fi.verdict } },
      h("th", { scope: "row", text: t("factory_inspection") }), verdict,
      h("td", { text: fi.outcome ? t(`inspection_${fi.outcome}`) : "—" }), h("td", { class: "clause", text: fi.clause })));
  }
  const head = h("tr", {}, ...["col_requirement", "col_verdict", "col_evidence", "col_clause"]
    .map((k) => h("th", { scope: "col", text: t(k) })));
  const table = h("table", { id: "basic", class: "basic" }, h("thead", {}, head), body);
  return h("section", { "aria-labelledby": "basic-title" },
    h("h3", { id: "basic-title", text: t("basic_title") }), scrollable(table, t("basic_title")));
}

function missingList(d, names, cur, ticked) {
  const section = h("section", { "aria-labelledby": "missing-title" }, h("h3", { id: "missing-title", text: t("missing_title") }));
  if (!d.missing_evidence.length) {
    section.append(h("p", { id: "missing", class: "missing-none", text: t("missing_none") }));
    return section;
  }
  const list = h("ul", { id: "missing", class: "checklist" });
  d.missing_evidence.forEach((m, i) => {
    const id = `missing-${i}`;
    const ref = `${m.kind}:${m.ref}`;
    const box = h("input", { type: "checkbox", id, dataset: { ref } });
    box.checked = ticked.has(ref);
    const name = names.get(m.ref);
    const who = t(`missing_who_${m.who}`);
    const label = h("label", { for: id },
      name ? h("strong", { text: pick(name) }) : h("strong", { text: m.ref }), " — ",
      h("span", { class: "description", text: m.description }), " ",
      h("span", { class: "small who", text: `${t("missing_who", { who: who === `missing_who_${m.who}` ? m.who : who })}` +
        (m.due ? ` · ${t("missing_due", { date: m.due })}` : "") }));
    list.append(h("li", { dataset: { kind: m.kind, ref: m.ref } }, box, label));
  });
  section.append(list);
  return section;
}

function labelList(d, attributes, names, cur) {
  const scope = new Set(d.scope);
  const list = h("ul", { id: "labels", class: "labels" });
  const nameOf = (id) => (names.has(id) ? pick(names.get(id)) : id);
  for (const l of d.labels) {
    let kind = t(`label_${l.kind}`);
    if (l.kind === "partial" && l.attribute) kind += ` · ${attributes.has(l.attribute) ? pick(attributes.get(l.attribute)) : l.attribute}`;
    if (l.grade && l.status === "eligible") kind += ` · ${l.grade}`;
    const li = h("li", { dataset: { label: l.id, status: l.status } },
      h("span", { class: `label-status status-${l.status}`, text: t(`label_status_${l.status}`) }), " ",
      h("strong", {}, bilingual({ zh: l.name_zh, en: l.name_en }, cur)), " ",
      h("span", { class: "tag", text: kind }), " ",
      h("span", { class: "small", text: scope.has(l.id) ? t("in_scope") : t("not_in_scope") }));
    if (l.failed.length) li.append(h("br"), h("span", { class: "small", text: t("label_failed", { ids: l.failed.map(nameOf).join(", ") }) }));
    if (l.open.length) li.append(h("br"), h("span", { class: "small", text: t("label_open", { ids: l.open.map(nameOf).join(", ") }) }));
    // a grade label: the grade proven but held back by the gate, and the better grades a more sensitive test could prove
    if (l.grade && l.status !== "eligible") li.append(h("br"), h("span", { class: "small", text: t("label_grade_not_awarded", { grade: l.grade }) }));
    for (const o of l.open_grades || []) {
      const text = o.detection_limit_max === null
        ? t("label_open_grade_quantified", { grade: o.id })
        : t("label_open_grade", { grade: o.id, limit: o.detection_limit_max, unit: o.unit || "" });
      li.append(h("br"), h("span", { class: "small open-grade", dataset: { grade: o.id }, text }));
    }
    list.append(li);
  }
  return h("section", { "aria-labelledby": "labels-title" }, h("h3", { id: "labels-title", text: t("labels_title") }), list);
}

function caveats(d) {
  if (!d.caveats.length) return null;
  return h("section", { "aria-labelledby": "caveats-title" }, h("h3", { id: "caveats-title", text: t("caveats_title") }),
    h("ul", { class: "caveats" }, ...d.caveats.map((c) => h("li", { text: c }))));
}

function downloadJson(response) {
  const d = response.decision;
  const base = `self-check-${d.category}-${d.product_model}-${d.evaluated_on}`.replace(/[^\p{L}\p{N}._-]+/gu, "_");
  const blob = new Blob([JSON.stringify(response, null, 2) + "\n"], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `${base}.json`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
