// The self-check page: the manufacturer's key, the catalogue, the form or an uploaded file, the self-check
// request, and the report. Talks only to this service's /v1 API with the key as a Bearer token.

import { h } from "./dom.js";
import {
  addReport, buildCategory, clearErrors, collect, diagnosticText, inputFor, prefillFromUnit, rebuildEdition,
  showFieldError,
} from "./form.js";
import { applyLanguage, initialLanguage, lang, pick, setLanguage, STRINGS, t } from "./i18n.js";
import { renderReport } from "./report.js";

const KEY_STORAGE = "greencert.apiKey";
const $ = (id) => document.getElementById(id);

const state = {
  categories: [],
  ctx: null, // {category, criteria, labels, ruleset, units}
  categoryCache: new Map(),
  last: null, // {response, category, operators}
  operators: null, // name -> the engine's operator (GET /v1/operators), read once
  loadSeq: 0,
  busy: 0,
};

// ------------------------------------------------------------------------------------------ the API

function key() {
  return $("api-key").value.trim();
}

async function call(method, path, { body, contentType } = {}) {
  const headers = { Accept: "application/json" };
  if (key()) headers.Authorization = `Bearer ${key()}`;
  if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
  let resp;
  try {
    resp = await fetch(path, { method, headers, body });
  } catch (e) {
    return { ok: false, status: 0, diagnostics: [{ code: "network_error", message: t("network_error", { msg: e.message || e }) }] };
  }
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    const diagnostics = (data && Array.isArray(data.diagnostics)) ? data.diagnostics
      : [{ code: "http_error", message: `HTTP ${resp.status}` }];
    return { ok: false, status: resp.status, diagnostics };
  }
  return { ok: true, status: resp.status, data };
}

function asOf() {
  return $("as-of").value;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.append(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// ------------------------------------------------------------------------------------------ errors

const KEY_CODES = new Set(["unauthenticated", "invalid_api_key", "forbidden"]);

/** Put each diagnostic next to its field; those with no field go to the error summary (or `fallback`). */
function showDiagnostics(diagnostics, fields, fallback) {
  const unplaced = [];
  for (const d of diagnostics) {
    let el = null;
    if (KEY_CODES.has(d.code)) el = $("api-key");
    else if (d.field === "as_of" || (d.code === "edition_not_in_force" && d.field !== "edition")) el = $("as-of");
    else if (d.field && fields) el = inputFor(fields, d.field);
    if (!el && fallback) el = fallback;
    if (!(el && showFieldError(el, [diagnosticText(d)]))) unplaced.push(d);
  }
  return unplaced;
}

function showSummary(unplaced, { checked = false } = {}) {
  const box = $("form-errors");
  for (const [el, key] of [[box.querySelector("h3"), checked ? "errors_title_checked" : "errors_title"],
    [box.querySelector("p"), checked ? "errors_intro_checked" : "errors_intro"]]) {
    el.dataset.i18n = key;
    el.textContent = t(key);
  }
  const list = box.querySelector("ul");
  list.replaceChildren();
  const invalid = [...document.querySelectorAll("#check-form [aria-invalid=true], #api-key[aria-invalid=true], #as-of[aria-invalid=true]")];
  for (const el of invalid) {
    const label = document.querySelector(`label[for="${el.id}"]`);
    const legend = el.closest("fieldset.result, fieldset.document, fieldset.report-entry");
    const where = [legend ? legend.querySelector("legend").textContent : null, label ? label.textContent : el.id]
      .filter(Boolean).join(" — ");
    const link = h("a", { href: `#${el.id}`, text: where });
    link.addEventListener("click", (ev) => { ev.preventDefault(); el.focus(); });
    list.append(h("li", {}, link));
  }
  for (const d of unplaced) list.append(h("li", { text: diagnosticText(d) }));
  box.hidden = list.children.length === 0;
  if (!box.hidden && !checked) box.focus();
}

function resetErrors() {
  clearErrors(document);
  $("form-errors").hidden = true;
}

// ------------------------------------------------------------------------------------------ catalogue

async function connect() {
  resetErrors();
  $("connect-status").textContent = "";
  if (!key()) {
    showFieldError($("api-key"), [t("need_key")]);
    $("api-key").focus();
    return;
  }
  const r = await call("GET", `/v1/categories${query({ as_of: asOf() })}`);
  if (!r.ok) {
    showDiagnostics(r.diagnostics, null, $("api-key"));
    return;
  }
  try { sessionStorage.setItem(KEY_STORAGE, key()); } catch { /* storage off: the key lives in the field */ }
  state.categories = r.data.categories;
  const select = $("category");
  const keep = select.value;
  select.replaceChildren(h("option", { value: "", dataset: { i18n: "choose" }, text: t("choose") }));
  for (const c of state.categories) {
    if (!c.editions.length) continue; // listed in the catalogue but no rule set shipped: nothing to check
    select.append(h("option", { value: c.id, dataset: { en: c.name.en, zh: c.name.zh }, text: pick(c.name) }));
  }
  $("connect-status").dataset.i18n = "connected";
  $("connect-status").dataset.i18nVars = JSON.stringify({ n: select.options.length - 1 });
  $("connect-status").textContent = t("connected", { n: select.options.length - 1 });
  if (keep && [...select.options].some((o) => o.value === keep)) {
    select.value = keep;
  }
  if (select.value) await loadCategory(false);
}

async function categoryDetail(id) {
  const cacheKey = `${id}@${asOf()}`;
  if (state.categoryCache.has(cacheKey)) return state.categoryCache.get(cacheKey);
  const r = await call("GET", `/v1/categories/${encodeURIComponent(id)}${query({ as_of: asOf() })}`);
  if (r.ok) state.categoryCache.set(cacheKey, r.data);
  return r.ok ? r.data : null;
}

/** Fetch the edition-dependent pieces: criteria, labels and the rule set's basic requirements. */
async function loadEdition(categoryId) {
  const params = query({ as_of: asOf(), edition: $("edition").value });
  const [criteria, labels] = await Promise.all([
    call("GET", `/v1/categories/${encodeURIComponent(categoryId)}/criteria${params}`),
    call("GET", `/v1/categories/${encodeURIComponent(categoryId)}/labels${params}`),
  ]);
  for (const r of [criteria, labels]) {
    if (!r.ok) return { error: r };
  }
  const version = await call("GET", `/v1/rulesets/versions/${encodeURIComponent(criteria.data.version)}`);
  if (!version.ok) return { error: version };
  return { criteria: criteria.data, labels: labels.data, ruleset: version.data.snapshot.ruleset };
}

function fillEditions(detail) {
  const select = $("edition");
  const keep = select.value;
  select.replaceChildren(h("option", { value: "", dataset: { i18n: "edition_auto" }, text: t("edition_auto") }));
  for (const e of detail.editions) {
    if (!e.accepted) continue;
    // an edition still accepted in a transition period says so, in both languages
    const en = e.current ? e.standard : `${e.standard} (${STRINGS.en.edition_transition})`;
    const zh = e.current ? e.standard : `${e.standard}（${STRINGS.zh.edition_transition}）`;
    select.append(h("option", { value: e.ruleset_id, dataset: { en, zh }, text: lang() === "zh" ? zh : en }));
  }
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

/** While the catalogue is being read the page says so (`data-busy` on <body>, for tests and styling). */
async function loadCategory(fresh) {
  state.busy += 1;
  document.body.dataset.busy = "true";
  try {
    await readCategory(fresh);
  } finally {
    state.busy -= 1;
    if (state.busy === 0) delete document.body.dataset.busy;
  }
}

async function readCategory(fresh) {
  const id = $("category").value;
  const seq = ++state.loadSeq;
  resetErrors();
  if (!id) return;
  const detail = await categoryDetail(id);
  if (seq !== state.loadSeq) return;
  if (!detail) {
    const r = await call("GET", `/v1/categories/${encodeURIComponent(id)}`);
    showDiagnostics(r.diagnostics || [], null, $("category"));
    return;
  }
  fillEditions(detail);
  const edition = await loadEdition(id);
  if (seq !== state.loadSeq) return;
  if (edition.error) {
    showDiagnostics(edition.error.diagnostics, null, edition.error.status === 404 ? $("as-of") : $("category"));
    return;
  }
  const indicatorUnits = [...new Set((detail.indicators || []).map((i) => i.unit).filter(Boolean))];
  const unitQuery = new URLSearchParams(indicatorUnits.map((u) => ["unit", u])).toString();
  const units = await call("GET", `/self-check/units${unitQuery ? `?${unitQuery}` : ""}`);
  if (seq !== state.loadSeq) return;
  const sameCategory = state.ctx && state.ctx.category.id === id;
  state.ctx = { category: detail, ...edition, units: units.ok ? units.data.units : {} };
  if (fresh || !sameCategory) buildCategory(state.ctx);
  else rebuildEdition(state.ctx);
}

async function dateChanged() {
  state.categoryCache.clear();
  if (state.ctx && $("category").value) await loadCategory(false);
}

// ------------------------------------------------------------------------------------------ submitting

function busy(button, statusEl, on) {
  button.disabled = on;
  statusEl.textContent = on ? t("checking") : "";
}

async function submitForm(ev) {
  ev.preventDefault();
  resetErrors();
  if (!key()) {
    showFieldError($("api-key"), [t("need_key")]);
    showSummary([]);
    return;
  }
  if (!state.ctx || !$("category").value) {
    showFieldError($("category"), [t("need_category")]);
    showSummary([]);
    return;
  }
  const { app, fields, reports } = collect(state.ctx);
  busy($("submit"), $("submit-status"), true);
  const r = await call("POST", `/v1/self-checks${query({ as_of: asOf(), store: $("store").checked ? "true" : "" })}`,
    { body: JSON.stringify(app) });
  busy($("submit"), $("submit-status"), false);
  if (!r.ok) {
    showSummary(showDiagnostics(r.diagnostics, fields, null));
    return;
  }
  const unitErrors = markUnconvertibleUnits(r.data.decision, reports);
  await showReport(r.data);
  if (unitErrors) showSummary([], { checked: true });
}

/** A result whose unit cannot convert to the limit's is not an input error to the API (the decision says
 * `unit_not_convertible`); it is one to the person typing, so it is shown at that unit as well. */
function markUnconvertibleUnits(decision, reports) {
  let count = 0;
  for (const c of decision.criteria) {
    for (const rej of c.rejected || []) {
      if (rej.reason !== "unit_not_convertible") continue;
      for (const rep of reports) {
        if (rep.id !== rej.evidence.id || !rep.rows[c.indicator] || !rep.rows[c.indicator].unit) continue;
        const unitEl = rep.rows[c.indicator].unit;
        const unit = unitEl.value;
        showFieldError(unitEl, [t("unit_error", { unit, to: c.limit_unit })]);
        count += 1;
      }
    }
  }
  return count;
}

async function submitUpload(ev) {
  ev.preventDefault();
  resetErrors();
  const input = $("upload-file");
  if (!key()) {
    showFieldError($("api-key"), [t("need_key")]);
    $("api-key").focus();
    return;
  }
  const file = input.files && input.files[0];
  if (!file) {
    showFieldError(input, [t("need_file")]);
    input.focus();
    return;
  }
  const name = file.name.toLowerCase();
  const type = name.endsWith(".json") ? "application/json"
    : (name.endsWith(".yaml") || name.endsWith(".yml")) ? "application/yaml" : null;
  if (!type) {
    showFieldError(input, [t("file_type")]);
    input.focus();
    return;
  }
  const content = await file.text();
  busy($("upload-submit"), $("upload-status"), true);
  const r = await call("POST", `/v1/self-checks${query({ as_of: asOf(), store: $("store").checked ? "true" : "" })}`,
    { body: content, contentType: type });
  busy($("upload-submit"), $("upload-status"), false);
  if (!r.ok) {
    // the file's own problems (with their line) stay at the file input; the key's and the date's go there
    const named = r.diagnostics.map((d) => ({ ...d, message: d.field && !d.line ? `${d.field}: ${d.message}` : d.message }));
    const unplaced = showDiagnostics(named, new Map(), input);
    for (const d of unplaced) showFieldError(input, [diagnosticText(d)]);
    const first = document.querySelector("[aria-invalid=true]");
    if (first) first.focus();
    return;
  }
  await showReport(r.data);
}

/** The engine's operators, read once from the API: the report draws each requirement as its operator says. */
async function operators() {
  if (state.operators) return state.operators;
  const r = await call("GET", "/v1/operators");
  if (!r.ok) return new Map(); // no bars rather than guessed ones; asked again with the next report
  state.operators = new Map(r.data.operators.map((o) => [o.name, o]));
  return state.operators;
}

async function showReport(response) {
  const category = (state.ctx && state.ctx.category.id === response.decision.category) ? state.ctx.category
    : await categoryDetail(response.decision.category);
  state.last = { response, category, operators: await operators() };
  renderReport($("report"), response, state.last);
  $("report-title").focus();
}

// ------------------------------------------------------------------------------------------ language

function switchLanguage() {
  setLanguage(lang() === "zh" ? "en" : "zh");
  applyLanguage(document);
  if (state.last) renderReport($("report"), state.last.response, state.last);
}

// ------------------------------------------------------------------------------------------ start

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function start() {
  setLanguage(initialLanguage());
  applyLanguage(document);
  if (!$("as-of").value) $("as-of").value = today();
  $("lang-switch").addEventListener("click", switchLanguage);
  $("access-form").addEventListener("submit", (ev) => { ev.preventDefault(); connect(); });
  $("category").addEventListener("change", () => loadCategory(true));
  $("edition").addEventListener("change", () => loadCategory(false));
  $("as-of").addEventListener("change", dateChanged);
  $("cert-unit").addEventListener("change", () => { if (state.ctx) prefillFromUnit(state.ctx.category, $("cert-unit").value); });
  $("fi-outcome").addEventListener("change", () => { $("corrective-action").hidden = $("fi-outcome").value !== "corrective_action"; });
  $("add-report").addEventListener("click", () => {
    if (!state.ctx) return;
    const box = addReport(state.ctx);
    box.querySelector("input").focus();
  });
  $("check-form").addEventListener("submit", submitForm);
  $("upload-form").addEventListener("submit", submitUpload);
  let stored = null;
  try { stored = sessionStorage.getItem(KEY_STORAGE); } catch { stored = null; }
  if (stored) {
    $("api-key").value = stored;
    connect();
  }
  document.body.dataset.ready = "true";
}

start();
