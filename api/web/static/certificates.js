// The certificate list of a certification body: its key (this tab's sessionStorage only), its certificates with
// their status on a chosen day, page by page, and its work list (GET /v1/certificates/due). Each number links to
// the public check (/verify/{number}); the printed certificate is fetched with the key and opened as a blob.

import { h } from "./dom.js";
import { applyLanguage, initialLanguage, lang, setLanguage, t } from "./i18n.js";

const KEY_STORAGE = "greencert.bodyApiKey";
const $ = (id) => document.getElementById(id);

const state = { offset: 0, list: null, due: null, pdfUrl: null, seq: 0 };

// ------------------------------------------------------------------------------------------ the API

function key() {
  return $("api-key").value.trim();
}

/** One call of the API with the key as a Bearer token; `blob` for a document. Never throws. */
async function call(method, path, { blob = false } = {}) {
  const headers = { Accept: blob ? "application/pdf" : "application/json" };
  if (key()) headers.Authorization = `Bearer ${key()}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers, cache: "no-store" });
  } catch (e) {
    return { ok: false, status: 0, diagnostics: [{ code: "network_error", message: t("network_error", { msg: e.message || e }) }] };
  }
  if (resp.ok && blob) return { ok: true, status: resp.status, blob: await resp.blob() };
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    const diagnostics = (data && Array.isArray(data.diagnostics)) ? data.diagnostics
      : [{ code: "http_error", message: `HTTP ${resp.status}` }];
    return { ok: false, status: resp.status, diagnostics };
  }
  return { ok: true, status: resp.status, data };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.append(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// ------------------------------------------------------------------------------------------ errors

/** A diagnostic as a sentence: its message, its hint, its field; never the JSON it came in. */
function diagnosticLine(d) {
  const where = d.field ? `${d.field}: ` : "";
  return where + String(d.message || d.code || "") + (d.hint ? ` (${d.hint})` : "") + (d.code ? ` [${d.code}]` : "");
}

function showError(box, status, diagnostics) {
  const head = status === 401 ? t("certs_error_401") : status === 403 ? t("certs_error_403")
    : status === 0 ? t("certs_error_network") : t("certs_error_other", { status });
  box.replaceChildren(h("p", { text: head }), h("ul", {}, diagnostics.map((d) => h("li", { text: diagnosticLine(d) }))));
  box.dataset.status = String(status);
  box.hidden = false;
}

function clearError(box) {
  box.replaceChildren();
  box.hidden = true;
  delete box.dataset.status;
}

// ------------------------------------------------------------------------------------------ words

function stateWord(s) {
  const k = `certs_state_${s}`;
  const w = t(k);
  return w === k ? s : w;
}

function taskWord(kind) {
  const k = `certs_due_${kind}`;
  const w = t(k);
  return w === k ? kind : w;
}

function labelText(status) {
  if (!status.label_kind) return "—";
  const kind = status.label_kind === "full" ? t("label_full") : status.label_kind === "partial" ? t("label_partial") : status.label_kind;
  const names = (status.labels || []).map((l) => (lang() === "zh" ? (l.name_zh || l.name_en) : (l.name_en || l.name_zh)) || l.id);
  return names.length ? `${kind}: ${names.join("; ")}` : kind;
}

function verifyLink(number, day) {
  return h("a", { href: `/verify/${encodeURIComponent(number)}${query({ as_of: day })}`, class: "cert-number", text: number });
}

// ------------------------------------------------------------------------------------------ the list

function renderList() {
  const table = $("certificates");
  const body = table.querySelector("tbody");
  const page = state.list;
  if (!page) { body.replaceChildren(); table.hidden = true; $("pager").hidden = true; $("list-status").textContent = ""; return; }
  const day = page.as_of;
  body.replaceChildren(...page.items.map((c) => {
    const s = c.status;
    const edition = s.standard || s.edition || "";
    return h("tr", { dataset: { number: c.number, state: s.state } },
      h("th", { scope: "row" }, verifyLink(c.number, day)),
      h("td", {}, c.holder_name, c.holder !== c.holder_name ? h("span", { class: "hint", text: ` (${c.holder})` }) : null),
      h("td", {}, c.category, edition ? h("br") : null, edition || null),
      h("td", { text: labelText(s) }),
      h("td", { class: `cert-state state-${s.state}` }, stateWord(s.state),
        s.since ? h("span", { class: "hint", text: ` ${t("certs_since", { day: s.since })}` }) : null),
      h("td", { text: s.valid_until || "—" }),
      h("td", {}, h("button", { type: "button", class: "pdf", dataset: { number: c.number },
        onclick: () => openDocument(c.number), text: t("certs_pdf") })));
  }));
  table.hidden = page.items.length === 0;
  const from = page.total === 0 ? 0 : Math.min(page.offset + 1, page.total);
  const to = page.offset + page.items.length;
  $("list-status").textContent = page.total === 0 ? t("certs_none", { day })
    : t("certs_showing", { from, to, total: page.total, day });
  $("page-range").textContent = t("certs_range", { from, to, total: page.total });
  $("pager").hidden = page.total === 0;
  $("prev-page").disabled = page.offset <= 0;
  $("next-page").disabled = page.offset + page.items.length >= page.total;
}

function renderDue() {
  const table = $("due");
  const body = table.querySelector("tbody");
  const due = state.due;
  $("due-notes").replaceChildren();
  if (!due) { body.replaceChildren(); table.hidden = true; $("due-status").textContent = ""; return; }
  body.replaceChildren(...due.items.map((x) => h("tr", { dataset: { number: x.number, kind: x.kind } },
    h("td", { text: x.due }),
    h("td", { text: taskWord(x.kind) }),
    h("th", { scope: "row" }, verifyLink(x.number, due.as_of)),
    h("td", { text: x.holder_name }),
    h("td", { text: stateWord(x.state) }),
    h("td", { text: x.detail }))));
  table.hidden = due.items.length === 0;
  $("due-status").textContent = due.items.length === 0 ? t("certs_due_none", { day: due.as_of, n: due.within_days })
    : t("certs_due_count", { count: due.items.length, day: due.as_of, n: due.within_days });
  $("due-notes").replaceChildren(...(due.notes || []).map((n) => h("li", { text: n })));
}

function limit() {
  const n = Number.parseInt($("limit").value, 10);
  return Number.isFinite(n) ? Math.min(Math.max(n, 1), 200) : 50;
}

async function load() {
  const seq = ++state.seq;
  clearError($("api-key-error"));
  $("key-status").textContent = "";
  if (!key()) {
    $("api-key-error").textContent = t("certs_key_missing");
    $("api-key-error").hidden = false;
    return;
  }
  document.body.dataset.busy = "true";
  const day = $("as-of").value;
  const [list, due] = await Promise.all([
    call("GET", `/v1/certificates${query({ as_of: day, limit: limit(), offset: state.offset })}`),
    call("GET", `/v1/certificates/due${query({ as_of: day, within_days: $("within-days").value })}`),
  ]);
  if (seq !== state.seq) return; // a newer request answers instead
  delete document.body.dataset.busy;
  // the tab keeps a key the service accepted, and only that one (a refused key is not kept)
  try {
    if (list.status === 401 || due.status === 401) sessionStorage.removeItem(KEY_STORAGE);
    else if (list.ok || due.ok) sessionStorage.setItem(KEY_STORAGE, key());
  } catch { /* storage off: the key lives in the field */ }
  clearError($("list-error"));
  clearError($("due-error"));
  if (list.ok) state.list = list.data;
  else { state.list = null; showError($("list-error"), list.status, list.diagnostics); }
  if (due.ok) state.due = due.data;
  else { state.due = null; showError($("due-error"), due.status, due.diagnostics); }
  renderList();
  renderDue();
  document.body.dataset.loaded = "true";
}

function page(step) {
  if (!state.list) return;
  state.offset = Math.max(0, state.list.offset + step * state.list.limit);
  load();
}

// ------------------------------------------------------------------------------------------ the document

async function openDocument(number) {
  const day = state.list ? state.list.as_of : $("as-of").value;
  $("pdf-status").textContent = t("certs_pdf_loading", { number });
  clearError($("list-error"));
  const r = await call("GET", `/v1/certificates/${encodeURIComponent(number)}/document${query({ as_of: day })}`, { blob: true });
  if (!r.ok) {
    $("pdf-status").textContent = "";
    showError($("list-error"), r.status, r.diagnostics);
    return;
  }
  if (state.pdfUrl) URL.revokeObjectURL(state.pdfUrl);
  state.pdfUrl = URL.createObjectURL(r.blob);
  const link = $("pdf-link");
  link.href = state.pdfUrl;
  link.download = `${number}.pdf`;
  link.dataset.number = number;
  link.textContent = t("certs_pdf_save", { number });
  link.hidden = false;
  $("pdf-status").textContent = t("certs_pdf_ready", { number });
  window.open(state.pdfUrl, "_blank");
}

// ------------------------------------------------------------------------------------------ the key

function forget() {
  state.seq++;
  try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* nothing stored */ }
  $("api-key").value = "";
  state.list = null;
  state.due = null;
  state.offset = 0;
  if (state.pdfUrl) URL.revokeObjectURL(state.pdfUrl);
  state.pdfUrl = null;
  $("pdf-link").hidden = true;
  $("pdf-link").removeAttribute("href");
  $("pdf-status").textContent = "";
  for (const id of ["list-error", "due-error", "api-key-error"]) clearError($(id));
  delete document.body.dataset.loaded;
  renderList();
  renderDue();
  $("key-status").textContent = t("certs_forgotten");
  $("api-key").focus();
}

// ------------------------------------------------------------------------------------------ start

function switchLanguage() {
  setLanguage(lang() === "zh" ? "en" : "zh");
  applyLanguage(document);
  renderList();
  renderDue();
}

function start() {
  setLanguage(initialLanguage());
  applyLanguage(document);
  $("lang-switch").addEventListener("click", switchLanguage);
  $("access-form").addEventListener("submit", (ev) => { ev.preventDefault(); state.offset = 0; load(); });
  $("forget-key").addEventListener("click", forget);
  $("prev-page").addEventListener("click", () => page(-1));
  $("next-page").addEventListener("click", () => page(1));
  for (const id of ["as-of", "limit", "within-days"]) {
    $(id).addEventListener("change", () => { if (state.list || state.due) { state.offset = 0; load(); } });
  }
  let stored = null;
  try { stored = sessionStorage.getItem(KEY_STORAGE); } catch { stored = null; }
  if (stored) {
    $("api-key").value = stored;
    load();
  }
  document.body.dataset.ready = "true";
}

start();
