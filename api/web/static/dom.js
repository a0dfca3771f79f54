// Small DOM helpers: elements are built with textContent only (never innerHTML), so no name or value from
// the catalogue, an uploaded file or the API can become markup.

import { t } from "./i18n.js";

/** h("p", {class: "x", dataset: {a: "1"}}, "text", child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A text node-holding element worded by the i18n table (re-worded on a language switch). */
export function tr(tag, key, vars, attrs = {}) {
  const el = h(tag, { ...attrs, dataset: { ...(attrs.dataset || {}), i18n: key } });
  if (vars && Object.keys(vars).length) el.dataset.i18nVars = JSON.stringify(vars);
  el.textContent = t(key, vars || {});
  return el;
}

/** An element showing a catalogue name ({zh, en}) in the current language (re-worded on a switch). */
export function named(tag, name, attrs = {}, current = "en") {
  const en = (name && (name.en || name.zh)) || "";
  const zh = (name && (name.zh || name.en)) || "";
  const el = h(tag, { ...attrs, dataset: { ...(attrs.dataset || {}), en, zh } });
  el.textContent = current === "zh" ? zh : en;
  return el;
}

/** Both names, the current language's first: indicator names are shown in Chinese and English. */
export function bilingual(name, current) {
  const en = name.en || name.zh || "";
  const zh = name.zh || name.en || "";
  const el = h("span", { class: "bilingual" });
  // the primary name follows the language switch (data-en / data-zh); the other language's name follows it
  el.append(h("span", { class: "primary-name", dataset: { en, zh }, text: current === "zh" ? zh : en }));
  if (en !== zh) {
    el.append(" ", h("span", { class: "secondary-name", dataset: { en: zh, zh: en }, text: current === "zh" ? en : zh }));
  }
  return el;
}

/** A labelled form field: <div class=field><label/>control<p hint/><p error/></div>. */
export function field({ id, labelKey, label, control, hintKey, hintText, wide = false, checkbox = false }) {
  const errorId = `${id}-error`;
  const describedBy = [];
  const wrapper = h("div", { class: "field" + (wide ? " wide" : "") + (checkbox ? " checkbox" : "") });
  const lab = labelKey ? tr("label", labelKey, null, { for: id }) : h("label", { for: id }, label);
  let hint = null;
  if (hintKey || hintText) {
    hint = hintKey ? tr("p", hintKey, null, { class: "hint", id: `${id}-hint` })
      : h("p", { class: "hint", id: `${id}-hint`, text: hintText });
    describedBy.push(hint.id);
  }
  describedBy.push(errorId);
  control.id = id;
  control.setAttribute("aria-describedby", describedBy.join(" "));
  if (checkbox) wrapper.append(control, lab);
  else wrapper.append(lab, control);
  if (hint) wrapper.append(hint);
  wrapper.append(h("p", { class: "field-error", id: errorId, hidden: true }));
  return wrapper;
}

/** Keep what was typed into `container` across a rebuild: values by element id, restored where ids match. */
export function keepValues(container, rebuild) {
  const saved = new Map();
  for (const el of container.querySelectorAll("input, select, textarea")) {
    if (!el.id) continue;
    saved.set(el.id, el.type === "checkbox" ? el.checked : el.value);
  }
  rebuild();
  for (const el of container.querySelectorAll("input, select, textarea")) {
    if (!saved.has(el.id)) continue;
    const value = saved.get(el.id);
    if (el.type === "checkbox") el.checked = value;
    else if (el.tagName === "SELECT") {
      if ([...el.options].some((o) => o.value === value)) el.value = value;
    } else el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

export function safeId(text) {
  return String(text).replace(/[^A-Za-z0-9_-]/g, (c) => "_" + c.codePointAt(0).toString(16));
}

/** Numbers as people read them: at most 6 significant digits, no float noise (0.30000000000000004). */
export function fmtNumber(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  const rounded = Number(value.toPrecision(6));
  return Math.abs(rounded) >= 1e-4 || rounded === 0 ? String(rounded) : rounded.toExponential();
}

export function fmtQuantity(value, unit) {
  if (value === null || value === undefined) return "—";
  const text = typeof value === "number" ? fmtNumber(value) : String(value);
  return unit && unit !== "1" ? `${text} ${unit}` : text;
}
