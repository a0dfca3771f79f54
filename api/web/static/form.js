// The application form: built from the catalogue (category, its parameters, units and indicators) and the
// edition in force (criteria, basic requirements, labels); read back into a greencert/application@1 document
// together with a map from each field path of that document to the input it came from, so the API's
// diagnostics (`field: "evidence.test_reports[0].results[1].value"`) land next to the right input.

import { bilingual, field, h, keepValues, named, safeId, tr } from "./dom.js";
import { lang, t } from "./i18n.js";

const QUALIFICATIONS = ["CMA", "CNAS", "ISO17025"];
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const OTHER_UNIT = "__other__";

let reportCounter = 0;

// ------------------------------------------------------------------------------------------ building

/** Fill the category-dependent parts of the form. `ctx`: {category, criteria, labels, ruleset, units}. */
export function buildCategory(ctx) {
  buildUnits(ctx.category);
  buildParameters(ctx.category);
  buildScope(ctx.labels);
  const reports = document.getElementById("reports");
  reports.replaceChildren();
  reportCounter = 0;
  addReport(ctx);
  buildDocuments(ctx);
  document.getElementById("reports-section").hidden = false;
  document.getElementById("inspection").hidden = !(ctx.ruleset && ctx.ruleset.factory_inspection);
}

/** After a change of evaluation date or edition: the same category, perhaps another edition. Keeps values. */
export function rebuildEdition(ctx) {
  const scope = document.getElementById("scope");
  keepValues(scope, () => buildScope(ctx.labels));
  const docs = document.getElementById("documents");
  keepValues(docs, () => buildDocuments(ctx));
  updateHints(ctx);
  document.getElementById("inspection").hidden = !(ctx.ruleset && ctx.ruleset.factory_inspection);
}

function buildUnits(category) {
  const select = document.getElementById("cert-unit");
  const keep = select.value;
  select.replaceChildren(tr("option", "cert_unit_auto", null, { value: "" }));
  for (const unit of category.certification_units || []) {
    select.append(named("option", unit.name, { value: unit.id }, lang()));
  }
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function buildParameters(category) {
  const box = document.getElementById("parameter-fields");
  box.replaceChildren();
  const params = category.parameters || [];
  document.getElementById("parameters").hidden = params.length === 0;
  for (const p of params) {
    const id = `param-${safeId(p.id)}`;
    let control;
    if (p.type === "choice") {
      control = h("select", { name: `parameters.${p.id}`, dataset: { param: p.id, type: p.type } },
        tr("option", "unset", null, { value: "" }),
        ...(p.choices || []).map((c) => h("option", { value: c, text: c })));
    } else if (p.type === "boolean") {
      control = h("select", { name: `parameters.${p.id}`, dataset: { param: p.id, type: p.type } },
        tr("option", "unset", null, { value: "" }), tr("option", "yes", null, { value: "true" }),
        tr("option", "no", null, { value: "false" }));
    } else {
      control = h("input", { type: "text", name: `parameters.${p.id}`, autocomplete: "off",
        inputmode: p.type === "number" ? "decimal" : null, dataset: { param: p.id, type: p.type } });
    }
    box.append(field({ id, label: [named("span", p.name, {}, lang()), p.unit ? ` (${p.unit})` : ""], control }));
  }
}

function labelKind(label) {
  return tr("span", `label_${label.kind}`, null, { class: "tag" });
}

function buildScope(labels) {
  const box = document.getElementById("scope-choices");
  box.replaceChildren();
  const list = (labels && labels.labels) || [];
  document.getElementById("scope").hidden = list.length === 0;
  for (const label of list) {
    const id = `scope-${safeId(label.id)}`;
    const input = h("input", { type: "checkbox", id, value: label.id, dataset: { default: String(label.in_default_scope) } });
    input.checked = label.in_default_scope;
    box.append(h("div", { class: "field checkbox" }, input,
      h("label", { for: id }, named("span", label.name, {}, lang()), " ", labelKind(label))));
  }
}

/** The units a result of `indicator` may be entered in: the indicator's own unit first. */
function unitOptions(ctx, indicator) {
  return (ctx.units && ctx.units[indicator.unit]) || [indicator.unit];
}

export function addReport(ctx) {
  const n = ++reportCounter;
  const p = `r${n}`;
  const box = h("fieldset", { class: "report-entry", dataset: { report: String(n) } });
  const legend = tr("legend", "report_legend", { n });
  box.append(legend);
  const quals = h("fieldset", { class: "nested inline-choices", id: `${p}-quals` },
    tr("legend", "lab_quals"),
    ...QUALIFICATIONS.map((q) => {
      const input = h("input", { type: "checkbox", id: `${p}-qual-${q}`, value: q });
      if (q === "CMA") input.checked = true;
      return h("span", { class: "field checkbox" }, input, h("label", { for: input.id, text: q }));
    }),
    h("p", { class: "field-error", id: `${p}-quals-error`, hidden: true }));
  box.append(h("div", { class: "grid three" },
    field({ id: `${p}-id`, labelKey: "report_id", control: h("input", { type: "text", autocomplete: "off" }) }),
    field({ id: `${p}-lab`, labelKey: "lab_name", control: h("input", { type: "text" }) }),
    field({ id: `${p}-issued`, labelKey: "issued", control: h("input", { type: "date" }) }),
    field({ id: `${p}-model`, labelKey: "report_model", hintKey: "report_model_hint",
      control: h("input", { type: "text", autocomplete: "off" }) }),
  ), quals);
  const results = h("div", { class: "results", id: `${p}-results` });
  for (const indicator of ctx.category.indicators || []) {
    if (indicator.kind === "document") continue;
    results.append(resultRow(ctx, p, indicator));
  }
  box.append(results);
  if (n > 1) {
    box.append(h("button", { type: "button", class: "secondary remove-report", dataset: { i18n: "remove_report",
      i18nVars: JSON.stringify({ n }) }, text: t("remove_report", { n }),
    onclick: () => { box.remove(); document.getElementById("add-report").focus(); } }));
  }
  document.getElementById("reports").append(box);
  updateHints(ctx);
  return box;
}

function resultRow(ctx, p, indicator) {
  const base = `${p}-${safeId(indicator.id)}`;
  const row = h("fieldset", { class: "result", dataset: { indicator: indicator.id } });
  row.append(h("legend", {}, bilingual(indicator.name, lang()), indicator.unit ? ` (${indicator.unit})` : ""));
  row.append(h("p", { class: "hint limit-hint", id: `${base}-limit` }));
  const grid = h("div", { class: "grid four" });
  if (indicator.kind === "choice") {
    const select = h("select", {}, tr("option", "unset", null, { value: "" }),
      ...(indicator.choices || []).map((c) => h("option", { value: c, text: c })));
    grid.append(field({ id: `${base}-value`, labelKey: "choice_value", control: select }));
  } else {
    grid.append(field({ id: `${base}-value`, labelKey: "value",
      control: h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }) }));
    const units = unitOptions(ctx, indicator);
    const select = h("select", {}, ...units.map((u) => h("option", { value: u, text: u })),
      tr("option", "unit_other", null, { value: OTHER_UNIT }));
    const unitField = field({ id: `${base}-unit`, labelKey: "unit", control: select });
    const other = field({ id: `${base}-unit-other`, labelKey: "unit_other_label",
      control: h("input", { type: "text", autocomplete: "off", spellcheck: "false" }) });
    other.hidden = true;
    select.addEventListener("change", () => {
      other.hidden = select.value !== OTHER_UNIT;
    });
    grid.append(unitField, other);
    const nd = h("input", { type: "checkbox" });
    grid.append(field({ id: `${base}-nd`, labelKey: "not_detected", control: nd, checkbox: true }));
    grid.append(field({ id: `${base}-dl`, labelKey: "detection_limit",
      control: h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }) }));
  }
  row.append(grid);
  for (const el of row.querySelectorAll("input, select")) {
    const limitId = `${base}-limit`;
    el.setAttribute("aria-describedby", `${el.getAttribute("aria-describedby") || ""} ${limitId}`.trim());
  }
  return row;
}

/** The requirement of each indicator in the edition in force, shown under its inputs. */
function updateHints(ctx) {
  const byIndicator = new Map();
  for (const c of (ctx.criteria && ctx.criteria.criteria) || []) {
    if (!byIndicator.has(c.indicator)) byIndicator.set(c.indicator, []);
    byIndicator.get(c.indicator).push(c);
  }
  const units = new Map((ctx.category.certification_units || []).map((u) => [u.id, u]));
  for (const row of document.querySelectorAll("#reports fieldset.result")) {
    const hint = row.querySelector(".limit-hint");
    const list = byIndicator.get(row.dataset.indicator) || [];
    if (!list.length) {
      hint.replaceChildren(tr("span", "no_limit_hint"));
      continue;
    }
    const parts = list.map((c) => {
      const where = c.applies_when && c.applies_when.certification_units
        ? c.applies_when.certification_units.map((u) => units.get(u)).filter(Boolean) : [];
      const span = tr("span", "limit_hint", { req: c.requirement });
      const out = h("span", { class: "req" }, span);
      if (where.length) {
        out.append(" (");
        where.forEach((u, i) => { if (i) out.append(", "); out.append(named("span", u.name, {}, lang())); });
        out.append(")");
      }
      out.append(" — ", h("span", { class: "clause", text: c.clause }));
      return out;
    });
    hint.replaceChildren(...parts.flatMap((part, i) => (i ? [h("br"), part] : [part])));
  }
}

function buildDocuments(ctx) {
  const box = document.getElementById("document-fields");
  box.replaceChildren();
  const ruleset = ctx.ruleset || {};
  const items = [];
  for (const req of ruleset.basic_requirements || []) {
    if (req.proof && req.proof.certificate) items.push({ kind: "certificate", id: req.id, name: req.name,
      clause: req.clause, standard: req.proof.certificate });
    else if (req.proof && req.proof.declaration) items.push({ kind: "declaration", id: req.proof.declaration,
      name: req.name, clause: req.clause });
  }
  const indicators = new Map((ctx.category.indicators || []).map((i) => [i.id, i]));
  for (const c of (ctx.criteria && ctx.criteria.criteria) || []) {
    const ind = indicators.get(c.indicator);
    // a requirement on a document indicator is met by a declaration (the catalogue says which indicators are)
    if (ind && ind.kind === "document" && !items.some((it) => it.kind === "declaration" && it.id === ind.id)) {
      items.push({ kind: "declaration", id: ind.id, name: ind.name, clause: c.clause });
    }
  }
  document.getElementById("documents").hidden = items.length === 0;
  for (const item of items) {
    const base = `doc-${item.kind}-${safeId(item.id)}`;
    const box2 = h("fieldset", { class: "document", dataset: { kind: item.kind, id: item.id } },
      h("legend", {}, bilingual(item.name, lang())), h("p", { class: "hint clause", text: item.clause }));
    if (item.kind === "certificate") {
      const std = h("input", { type: "text", value: item.standard, dataset: { standard: item.standard } });
      box2.append(h("div", { class: "grid three" },
        field({ id: `${base}-standard`, labelKey: "cert_standard", control: std }),
        field({ id: `${base}-number`, labelKey: "cert_number", control: h("input", { type: "text" }) }),
        field({ id: `${base}-until`, labelKey: "cert_valid_until", control: h("input", { type: "date" }) })));
    } else {
      box2.append(h("div", { class: "grid three" },
        field({ id: `${base}-signed`, labelKey: "declared", control: h("input", { type: "checkbox" }), checkbox: true }),
        field({ id: `${base}-date`, labelKey: "signed_on", control: h("input", { type: "date" }) })));
    }
    box.append(box2);
  }
}

/** Picking a certification unit fills the parameters it fixes (`eq` conditions) that are still empty. */
export function prefillFromUnit(category, unitId) {
  const unit = (category.certification_units || []).find((u) => u.id === unitId);
  if (!unit) return;
  for (const [param, cond] of Object.entries(unit.defined_by || {})) {
    if (!cond || cond.eq === undefined) continue;
    const el = document.getElementById(`param-${safeId(param)}`);
    if (el && el.value === "") el.value = String(cond.eq);
  }
}

// ------------------------------------------------------------------------------------------ reading

function text(id) {
  const el = document.getElementById(id);
  return el ? el.value.trim() : "";
}

/** What was typed: a number when it reads as one, else the text as typed (the API says what is wrong). */
function numberOrText(raw) {
  const value = raw.trim();
  return NUMBER.test(value) ? Number(value) : value;
}

/** The form as an application document, and the input each of its field paths came from. */
export function collect(ctx) {
  const fields = new Map();
  const reports = [];
  const put = (path, id) => fields.set(path, document.getElementById(id));
  const app = { format: "greencert/application@1" };
  const appId = text("app-id");
  if (appId) { app.id = appId; put("id", "app-id"); }
  app.category = ctx.category.id;
  put("category", "category");
  const unit = text("cert-unit");
  if (unit) { app.certification_unit = unit; put("certification_unit", "cert-unit"); }
  const edition = text("edition");
  if (edition) { app.edition = edition; put("edition", "edition"); }
  const scopeBoxes = [...document.querySelectorAll("#scope-choices input[type=checkbox]")];
  const chosen = scopeBoxes.filter((b) => b.checked).map((b) => b.value);
  const defaults = scopeBoxes.filter((b) => b.dataset.default === "true").map((b) => b.value);
  if (scopeBoxes.length && chosen.join("\n") !== defaults.join("\n")) {
    app.scope = chosen;
    fields.set("scope", document.getElementById("scope"));
  }

  const product = { model: text("model") };
  put("product.model", "model");
  put("product", "model");
  for (const [key, id] of [["name", "product-name"], ["manufacturer", "manufacturer"],
    ["production_site", "production-site"]]) {
    const v = text(id);
    if (v) { product[key] = v; put(`product.${key}`, id); }
  }
  const params = {};
  for (const el of document.querySelectorAll("#parameter-fields [data-param]")) {
    const raw = el.value.trim();
    if (raw === "") continue;
    const name = el.dataset.param;
    if (el.dataset.type === "number") params[name] = numberOrText(raw);
    else if (el.dataset.type === "boolean") params[name] = raw === "true";
    else params[name] = raw;
    fields.set(`product.parameters.${name}`, el);
  }
  if (Object.keys(params).length) product.parameters = params;
  app.product = product;

  const evidence = {};
  const testReports = [];
  for (const box of document.querySelectorAll("#reports fieldset.report-entry")) {
    const p = `r${box.dataset.report}`;
    const results = [];
    const rows = {};
    const at = `evidence.test_reports[${testReports.length}]`;
    for (const row of box.querySelectorAll("fieldset.result")) {
      const ind = row.dataset.indicator;
      const base = `${p}-${safeId(ind)}`;
      const valueEl = document.getElementById(`${base}-value`);
      const ndEl = document.getElementById(`${base}-nd`);
      const dlEl = document.getElementById(`${base}-dl`);
      const unitEl = document.getElementById(`${base}-unit`);
      const otherEl = document.getElementById(`${base}-unit-other`);
      const raw = valueEl.value.trim();
      const nd = ndEl ? ndEl.checked : false;
      if (raw === "" && !nd) continue;
      const r = `${at}.results[${results.length}]`;
      const result = { indicator: ind };
      fields.set(r, valueEl);
      fields.set(`${r}.indicator`, valueEl);
      if (raw !== "") {
        result.value = unitEl ? numberOrText(raw) : raw;
        fields.set(`${r}.value`, valueEl);
      }
      let unitInput = null;
      if (unitEl) {
        unitInput = unitEl.value === OTHER_UNIT ? otherEl : unitEl;
        const u = unitEl.value === OTHER_UNIT ? otherEl.value.trim() : unitEl.value;
        result.unit = u;
        fields.set(`${r}.unit`, unitInput);
      }
      if (nd) {
        result.not_detected = true;
        fields.set(`${r}.not_detected`, ndEl);
        const dl = dlEl.value.trim();
        if (dl !== "") { result.detection_limit = numberOrText(dl); }
        fields.set(`${r}.detection_limit`, dlEl);
      }
      rows[ind] = { unit: unitInput, value: valueEl };
      results.push(result);
    }
    if (!results.length) continue;
    const quals = QUALIFICATIONS.filter((q) => document.getElementById(`${p}-qual-${q}`).checked);
    testReports.push({
      id: text(`${p}-id`),
      laboratory: { name: text(`${p}-lab`), qualifications: quals },
      issued: text(`${p}-issued`),
      model: text(`${p}-model`) || product.model,
      results,
    });
    put(at, `${p}-id`);
    put(`${at}.id`, `${p}-id`);
    put(`${at}.laboratory`, `${p}-lab`);
    put(`${at}.laboratory.name`, `${p}-lab`);
    fields.set(`${at}.laboratory.qualifications`, document.getElementById(`${p}-quals`));
    put(`${at}.issued`, `${p}-issued`);
    put(`${at}.model`, text(`${p}-model`) ? `${p}-model` : "model");
    put(`${at}.results`, `${p}-results`);
    reports.push({ id: text(`${p}-id`), rows });
  }
  if (testReports.length) evidence.test_reports = testReports;

  const outcome = text("fi-outcome");
  if (outcome && !document.getElementById("inspection").hidden) {
    const fi = { outcome };
    put("evidence.factory_inspection", "fi-outcome");
    put("evidence.factory_inspection.outcome", "fi-outcome");
    const date = text("fi-date");
    if (date) { fi.date = date; put("evidence.factory_inspection.date", "fi-date"); }
    const inspector = text("fi-inspector");
    if (inspector) { fi.inspector = inspector; put("evidence.factory_inspection.inspector", "fi-inspector"); }
    if (outcome === "corrective_action") {
      const ca = { deadline: text("ca-deadline"), verified: document.getElementById("ca-verified").checked };
      const on = text("ca-verified-on");
      if (on) ca.verified_on = on;
      const desc = text("ca-description");
      if (desc) ca.description = desc;
      fi.corrective_action = ca;
      const c = "evidence.factory_inspection.corrective_action";
      put(c, "ca-deadline");
      put(`${c}.deadline`, "ca-deadline");
      put(`${c}.verified`, "ca-verified");
      put(`${c}.verified_on`, "ca-verified-on");
      put(`${c}.description`, "ca-description");
    }
    evidence.factory_inspection = fi;
  }

  const certificates = [];
  const declarations = [];
  for (const doc of document.querySelectorAll("#document-fields fieldset.document")) {
    const base = `doc-${doc.dataset.kind}-${safeId(doc.dataset.id)}`;
    if (doc.dataset.kind === "certificate") {
      const number = text(`${base}-number`);
      const until = text(`${base}-until`);
      if (!number && !until) continue;
      const at = `evidence.certificates[${certificates.length}]`;
      const cert = { standard: text(`${base}-standard`), valid_until: until };
      if (number) cert.number = number;
      certificates.push(cert);
      put(at, `${base}-until`);
      put(`${at}.standard`, `${base}-standard`);
      put(`${at}.number`, `${base}-number`);
      put(`${at}.valid_until`, `${base}-until`);
    } else {
      if (!document.getElementById(`${base}-signed`).checked) continue;
      const at = `evidence.declarations[${declarations.length}]`;
      const decl = { id: doc.dataset.id };
      const date = text(`${base}-date`);
      if (date) decl.signed = date;
      declarations.push(decl);
      put(at, `${base}-signed`);
      put(`${at}.signed`, `${base}-date`);
    }
  }
  if (certificates.length) evidence.certificates = certificates;
  if (declarations.length) evidence.declarations = declarations;
  app.evidence = evidence;
  fields.set("evidence", document.getElementById("reports"));
  return { app, fields, reports };
}

// ------------------------------------------------------------------------------------------ errors

/** The input a diagnostic's field path names: the path itself, else its nearest named parent. */
export function inputFor(fields, path) {
  let p = path;
  while (p) {
    if (fields.has(p) && fields.get(p)) return fields.get(p);
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return null;
}

export function errorElementFor(el) {
  if (!el) return null;
  const byId = el.id && document.getElementById(`${el.id}-error`);
  if (byId) return byId;
  const wrapper = el.closest(".field, fieldset");
  return wrapper ? wrapper.querySelector(".field-error") : null;
}

/** Show `lines` next to the input `el` (appending to what is already shown there). */
export function showFieldError(el, lines) {
  const box = errorElementFor(el);
  if (!box) return false;
  for (const line of lines) box.append(h("span", { class: "error-line", text: line }));
  box.hidden = false;
  if (el.matches("input, select, textarea")) el.setAttribute("aria-invalid", "true");
  else {
    const first = el.querySelector("input, select, textarea");
    if (first) first.setAttribute("aria-invalid", "true");
  }
  return true;
}

export function clearErrors(root = document) {
  for (const box of root.querySelectorAll(".field-error")) { box.replaceChildren(); box.hidden = true; }
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** A diagnostic as one line: `message (hint)`, with `line L, column C` when it has a location. */
export function diagnosticText(d) {
  const where = d.line ? t("error_at", { line: d.line, column: d.column || 1 }) + ": " : "";
  return where + d.message + (d.hint ? ` (${d.hint})` : "");
}
