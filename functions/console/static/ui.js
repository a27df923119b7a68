// ui.js — tiny DOM helpers: element builder, times, tables, form fields and errors,
// the global status/alert live regions, confirmation dialogs and one-time secret boxes.
// Everything here builds DOM with createElement/textContent: API data is never parsed as HTML.

let uid = 0;
export const nextId = (prefix = "f") => `${prefix}-${++uid}`;

// h("a", {href: "#/x", class: "btn", onclick: fn}, "text", child, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (["value", "checked", "disabled", "readOnly", "required", "selected", "hidden", "open"].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// ---- times -------------------------------------------------------------------------------------

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const UNITS = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5], ["minute", 6e4], ["second", 1e3]];

export function relative(date) {
  const diff = date.getTime() - Date.now();
  if (Math.abs(diff) < 45e3) return diff < 0 || Math.abs(diff) < 1e3 ? "just now" : "in a few seconds";
  for (const [unit, ms] of UNITS) if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  return "just now";
}

// <time> with the relative time as text (or absolute + relative), the ISO time in title.
export function time(iso, { absolute = false } = {}) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, String(iso));
  const text = absolute ? `${dtf.format(date)} (${relative(date)})` : relative(date);
  return h("time", { datetime: date.toISOString(), title: date.toISOString() }, text);
}

// datetime-local value ("2026-12-02T06:00") in local time -> RFC 3339 UTC, or null.
export function localToIso(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function isoToLocal(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// ---- building blocks ---------------------------------------------------------------------------

export const pageHeader = (title, ...actions) =>
  h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, title), actions.length ? h("div", { class: "actions" }, actions) : null);

// Sections carry no aria-labelledby on purpose: a region named like its table or input would make
// label lookups ambiguous (e.g. the "Deliveries" table, the "Signing secret" input).
export const section = (title, ...children) => h("section", { class: "card" }, h("h2", {}, title), children);

export const empty = (text, ...more) => h("div", { class: "empty" }, h("p", {}, text), more);
export const loading = (text = "Loading…") => h("p", { class: "loading", role: "presentation" }, text);
export const code = (text) => h("code", {}, text);
export const pre = (value) => h("pre", { tabindex: "0" }, typeof value === "string" ? value : JSON.stringify(value, null, 2));

export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind || "neutral"}` }, text);
}

export const STATUS_KIND = { succeeded: "ok", active: "ok", failed: "bad", revoked: "bad", pending: "warn", expired: "neutral", disabled: "bad", done: "ok", running: "warn", queued: "neutral" };
export const statusBadge = (status) => badge(status, STATUS_KIND[status]);

// A description list from [[term, value], ...]; null values are skipped.
export function details(pairs) {
  return h("dl", { class: "details" }, pairs.filter(([, v]) => v !== null && v !== undefined)
    .map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

// A table in a scrolling wrapper. rows: arrays of cells (strings or nodes).
export function table(label, headers, rows) {
  return h("div", { class: "table-wrap" },
    h("table", { "aria-label": label },
      h("thead", {}, h("tr", {}, headers.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows.map((cells) => tableRow(headers, cells)))));
}

export function tableRow(headers, cells) {
  return h("tr", {}, cells.map((cell, i) => h(i === 0 ? "th" : "td", i === 0 ? { scope: "row", "data-label": headers[i] } : { "data-label": headers[i] }, cell)));
}

// A "Load more" paginated list: fetchPage(cursor) -> {items, next_cursor}; renderRows(items) -> rows.
export async function pagedTable({ label, headers, fetchPage, toRow, emptyText }) {
  const box = h("div", { class: "paged" });
  const first = await fetchPage(null);
  if (!first.items.length && !first.next_cursor) {
    box.append(empty(emptyText));
    return box;
  }
  const wrap = table(label, headers, first.items.map(toRow));
  const tbody = wrap.querySelector("tbody");
  const more = h("button", { type: "button", class: "btn" }, "Load more");
  let cursor = first.next_cursor;
  more.hidden = !cursor;
  more.addEventListener("click", async () => {
    more.disabled = true;
    more.textContent = "Loading…";
    try {
      const page = await fetchPage(cursor);
      for (const item of page.items) tbody.append(tableRow(headers, toRow(item)));
      cursor = page.next_cursor;
      if (!page.items.length && cursor) status("No more matches in this part of the log; load more to keep looking.");
    } catch (err) {
      showError(err);
    } finally {
      more.disabled = false;
      more.textContent = "Load more";
      more.hidden = !cursor;
    }
  });
  box.append(wrap, h("div", { class: "load-more" }, more));
  return box;
}

// ---- forms -------------------------------------------------------------------------------------

// A labelled control: field("Name", h("input", {name: "name"}), "hint").
export function field(label, control, hint) {
  control.id ||= nextId();
  const parts = [h("label", { for: control.id }, label)];
  if (hint) {
    const hintId = nextId("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  parts.push(control, h("p", { class: "field-error", id: `${control.id}-error`, hidden: true }));
  return h("div", { class: "field" }, parts);
}

export function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

export function checkbox(name, value, label, { checked = false, disabled = false, hint } = {}) {
  const id = nextId("cb");
  const input = h("input", { type: "checkbox", name, value, id, checked, disabled });
  const hintEl = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "check" }, input, h("label", { for: id }, label), hintEl);
}

export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) { el.hidden = true; el.textContent = ""; }
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter((x) => !x.endsWith("-error"));
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
  }
}

// Shows problem+json field errors next to the controls named like the field ("events[0]" -> "events").
export function showFieldErrors(form, err) {
  const unmatched = [];
  for (const { field: name = "", message, reason } of err.errors || []) {
    const base = String(name).replace(/^body\./, "").split(/[.[]/)[0];
    const control = form.querySelector(`[name="${CSS.escape(base)}"]`);
    const holder = control && (control.closest("fieldset") || control.closest(".field"));
    const errEl = holder && holder.querySelector(".field-error");
    if (!errEl) { unmatched.push(`${name}: ${message || reason}`); continue; }
    errEl.hidden = false;
    errEl.textContent = [errEl.textContent, message || reason].filter(Boolean).join(" ");
    for (const c of form.querySelectorAll(`[name="${CSS.escape(base)}"]`)) {
      c.setAttribute("aria-invalid", "true");
      errEl.id ||= `${nextId("err")}-error`;
      c.setAttribute("aria-describedby", [c.getAttribute("aria-describedby"), errEl.id].filter(Boolean).join(" "));
    }
  }
  return unmatched;
}

// Runs an async form action with a busy button, errors in the alert region and next to fields.
export async function busy(button, action, form) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  clearAlert();
  if (form) clearFieldErrors(form);
  try {
    return await action();
  } catch (err) {
    const unmatched = form ? showFieldErrors(form, err) : [];
    const marked = form && err.errors && err.errors.length > unmatched.length;
    showError(marked ? new Error(`${err.message} Check the fields marked below.`) : err, unmatched);
    const invalid = form && form.querySelector("[aria-invalid]");
    if (invalid) invalid.focus();
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// ---- live regions ------------------------------------------------------------------------------

let statusTimer;
let statusAt = 0;
export function status(message) {
  const region = document.getElementById("status");
  clearTimeout(statusTimer);
  statusAt = Date.now();
  region.textContent = message;
  region.hidden = false;
  statusTimer = setTimeout(() => { region.textContent = ""; }, 15000);
}

// Clears the status message unless it was set within `keepMs` (e.g. "deleted" just before navigating).
export function clearStatus(keepMs = 0) {
  if (Date.now() - statusAt >= keepMs) document.getElementById("status").textContent = "";
}

export function alert(message, extra = []) {
  const region = document.getElementById("alert");
  region.replaceChildren(h("p", {}, message));
  if (extra.length) region.append(h("ul", {}, extra.map((x) => h("li", {}, x))));
}

export function clearAlert() {
  document.getElementById("alert").replaceChildren();
}

export function showError(err, extra = []) {
  if (err && err.silent) return;
  alert(err && err.message ? err.message : String(err), extra);
}

// ---- dialogs and secrets -----------------------------------------------------------------------

// confirm({title, body, confirm: "Delete", danger, extra}) -> Promise<FormData|null>.
// Escape or Cancel resolves null; focus goes back to the control that opened it.
export function confirm({ title, body, confirm: confirmLabel, danger = true, extra = [] }) {
  const opener = document.activeElement;
  const titleId = nextId("dlg");
  return new Promise((resolve) => {
    const form = h("form", { method: "dialog" },
      h("h2", { id: titleId }, title),
      [].concat(body).map((p) => (p instanceof Node ? p : h("p", {}, p))),
      extra,
      h("div", { class: "actions" },
        h("button", { type: "submit", value: "cancel", class: "btn" }, "Cancel"),
        h("button", { type: "submit", value: "confirm", class: danger ? "btn btn-danger" : "btn btn-primary" }, confirmLabel)));
    const dialog = h("dialog", { "aria-labelledby": titleId }, form);
    let data = null;
    form.addEventListener("submit", (event) => {
      if (event.submitter && event.submitter.value === "confirm") data = new FormData(form);
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(data);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button[value=cancel]").focus();
  });
}

async function copy(input, button) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    if (!document.execCommand("copy")) { alert("Copy failed: select the text and copy it by hand."); return; }
  }
  button.textContent = "Copied";
  status("Copied to the clipboard.");
  setTimeout(() => { button.textContent = button.dataset.label; }, 2000);
}

// A one-time secret: heading, readonly input, copy button, "shown only once" warning.
export function secretBox({ heading, label, value, copyLabel, note, after = [] }) {
  const input = h("input", { type: "text", readOnly: true, value, class: "secret", spellcheck: "false", autocomplete: "off" });
  // Its accessible name stays while its text says "Copied" (the status region announces it).
  const button = h("button", { type: "button", class: "btn btn-primary", "data-label": copyLabel, "aria-label": copyLabel }, copyLabel);
  button.addEventListener("click", () => copy(input, button));
  input.addEventListener("focus", () => input.select());
  return h("section", { class: "card secret-box" },
    h("h2", { tabindex: "-1" }, heading),
    h("p", { class: "warn-text" }, note || "This is shown only once: copy it now and keep it somewhere safe."),
    h("div", { class: "copy-row" }, field(label, input), button),
    after);
}
