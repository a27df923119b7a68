// apikeys.js — the tenant's API keys: list with status, create (scopes limited to the session's),
// roll (new key shown once, old one kept for a grace period) and revoke, each confirmed.

import * as api from "./api.js";
import * as router from "./router.js";
import * as session from "./session.js";
import { busy, checkbox, code, confirm, field, h, nextId, pageHeader, pagedTable, secretBox, select, statusBadge, status, time } from "./ui.js";

const EXPIRY = [["3600", "In 1 hour"], ["86400", "In 1 day"], ["604800", "In 7 days"], ["2592000", "In 30 days"], ["7776000", "In 90 days"], ["31536000", "In 1 year"]];

export async function renderApiKeys(view, ctx) {
  let [catalogue, who] = await Promise.all([api.get("/scopes"), api.whoami().catch(() => null)]);
  const held = who && Array.isArray(who.scopes) ? new Set(who.scopes) : null;
  const sessionExpiry = who && who.expires_at ? Date.parse(who.expires_at) : null;
  const panel = h("div", { id: nextId("keys-panel") });
  const list = h("div");
  const create = h("button", { type: "button", class: "btn btn-primary", "aria-expanded": "false", "aria-controls": panel.id, "data-needs": "api-keys:write" }, "Create API key");

  const showKey = (key, after) => {
    const box = secretBox({ heading: "New API key", label: "New API key", value: key, copyLabel: "Copy key",
      note: "This key is shown only once. Copy it now and store it as a secret.", after });
    panel.replaceChildren(box);
    create.setAttribute("aria-expanded", "false");
    box.querySelector("h2").focus();
  };

  async function loadList() {
    list.replaceChildren(await pagedTable({
      label: "API keys",
      headers: ["Name", "Prefix", "Scopes", "Status", "Created", "Last used", "Expires", "Actions"],
      emptyText: "No API keys yet.",
      fetchPage: (cursor) => api.get("/api-keys", { limit: 50, cursor }),
      toRow: (k) => {
        const self = Boolean(who && who.api_key_id === k.id);
        return [
          h("span", {}, k.name, self ? h("span", { class: "muted" }, " (this session)") : null),
          code(k.prefix),
          h("span", { class: "scopes" }, k.scopes.join(", ")),
          statusBadge(k.status),
          time(k.created_at),
          k.last_used_at ? time(k.last_used_at) : "Never",
          k.expires_at ? time(k.expires_at) : "Never",
          k.status === "active" ? h("span", { class: "row-actions" },
            h("button", { type: "button", class: "btn btn-small", "data-needs": "api-keys:write", "aria-label": `Roll ${k.name}`, onclick: (e) => roll(k, self, e.currentTarget) }, "Roll"),
            h("button", { type: "button", class: "btn btn-small btn-danger", "data-needs": "api-keys:write", "aria-label": `Revoke ${k.name}`, onclick: (e) => revoke(k, self, e.currentTarget) }, "Revoke")) : "",
        ];
      },
    }));
  }

  function openForm() {
    const name = h("input", { type: "text", name: "name", maxlength: "100", autocomplete: "off" });
    const expires = select("expires", [["", sessionExpiry ? "When this session's key expires" : "Never"],
      ...EXPIRY.filter(([s]) => !sessionExpiry || Date.now() + Number(s) * 1000 <= sessionExpiry)]);
    const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create key");
    const form = h("form", { class: "stack", novalidate: true },
      field("Name", name, "A label to recognise the key by, e.g. \"CI deploys\"."),
      h("fieldset", {}, h("legend", {}, "Scopes"),
        h("p", { class: "hint" }, "What the key may do. You can only grant scopes your own session holds."),
        h("div", { class: "check-grid" }, catalogue.items.map((s) => checkbox("scopes", s.name, s.name, {
          disabled: Boolean(held && !held.has(s.name)),
          hint: held && !held.has(s.name) ? `${s.description} (not held by this session)` : s.description,
        }))),
        h("p", { class: "field-error", id: `${nextId("scopes")}-error`, hidden: true })),
      field("Expires", expires),
      h("div", { class: "actions" }, submit, h("button", { type: "button", class: "btn", onclick: closeForm }, "Cancel")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { name: data.get("name").trim(), scopes: data.getAll("scopes") };
      if (data.get("expires")) body.expires_at = new Date(Date.now() + Number(data.get("expires")) * 1000).toISOString();
      busy(submit, async () => {
        const created = await api.post("/api-keys", body);
        status(`API key "${created.name}" created.`);
        showKey(created.key, h("p", {}, "Created ", h("strong", {}, created.name), " with ", created.scopes.join(", "), "."));
        await loadList();
      }, form);
    });
    panel.replaceChildren(h("section", { class: "card" }, h("h2", {}, "New API key details"), form));
    create.setAttribute("aria-expanded", "true");
    name.focus();
  }
  function closeForm() {
    panel.replaceChildren();
    create.setAttribute("aria-expanded", "false");
    create.focus();
  }
  create.addEventListener("click", () => (create.getAttribute("aria-expanded") === "true" ? closeForm() : openForm()));

  async function roll(key, self, button) {
    const data = await confirm({
      title: `Roll API key "${key.name}"?`,
      body: ["A new key with the same name and scopes replaces it and is shown once. The old key keeps working for the time you choose, so you can switch over.",
        self ? "This is the key of this session: the console switches to the new key." : null].filter(Boolean),
      extra: field("Old key keeps working for", select("grace", [["0", "Stops now"], ["3600", "1 hour"], ["86400", "24 hours"], ["604800", "7 days"]], "86400")),
      confirm: "Roll key", danger: false,
    });
    if (!data) return;
    await busy(button, async () => {
      const rolled = await api.post(`/api-keys/${api.enc(key.id)}/roll`, { expires_in_seconds: Number(data.get("grace")) });
      if (self) {
        const current = session.get();
        session.save(rolled.key, current.expiresAt, current.kind);
        api.forgetWhoami();
        who = { ...who, api_key_id: rolled.id };
      }
      status(`API key "${key.name}" rolled.`);
      showKey(rolled.key, rolled.previous_key
        ? h("p", {}, "The previous key stops working ", time(rolled.previous_key.expires_at, { absolute: true }), ".") : null);
      await loadList();
    });
  }

  async function revoke(key, self, button) {
    const ok = await confirm({
      title: `Revoke API key "${key.name}"?`,
      body: ["Anything using this key stops working at once. This cannot be undone.",
        self ? "This is the key of this session: you will be signed out." : null].filter(Boolean),
      confirm: "Revoke key",
    });
    if (!ok) return;
    await busy(button, async () => {
      await api.post(`/api-keys/${api.enc(key.id)}/revoke`);
      status(`API key "${key.name}" revoked.`);
      if (self) {
        session.clear();
        api.forgetWhoami();
        router.go("/sign-in");
        return;
      }
      await loadList();
      const next = list.querySelector("tbody button") || create;
      next.focus();
    });
  }

  view.append(pageHeader("API keys", create),
    h("p", { class: "lead" }, "Keys let your systems call this API. Each key is shown once, when it is created or rolled."),
    panel, list);
  await loadList();
}
