// endpoints.js — the endpoint list (with health), the "Add endpoint" page that shows the signing
// secret once, and the shared endpoint form / health helpers used by the endpoint page.

import * as api from "./api.js";
import { badge, busy, checkbox, code, empty, field, h, nextId, pageHeader, pagedTable, secretBox, status, time } from "./ui.js";

export const eventsText = (events = []) => (events.includes("*") ? "All events" : events.join(", "));

// "Healthy", "Failing since <time>", or "Disabled" plus why.
export function health(webhook) {
  if (webhook.status === "disabled") {
    return h("span", { class: "health" }, badge("Disabled", "bad"),
      h("span", { class: "health-reason" }, webhook.disabled_reason ? `: ${webhook.disabled_reason}` : " (turned off by a user)"));
  }
  if (webhook.failing_since) return h("span", { class: "badge badge-warn" }, "Failing since ", time(webhook.failing_since, { absolute: true }));
  return badge("Healthy", "ok");
}

// The form for creating and editing: Name, Endpoint URL, Description, Events.
export function endpointForm({ types, webhook = {}, submitLabel, onSubmit, onCancel }) {
  const selected = new Set(webhook.events || []);
  const description = h("textarea", { name: "description", rows: "2", maxlength: "500" });
  description.value = webhook.description || "";
  const errorId = `${nextId("events")}-error`;
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, submitLabel);
  const form = h("form", { class: "stack", novalidate: true },
    field("Name", h("input", { name: "name", type: "text", value: webhook.name || "", maxlength: "100", autocomplete: "off" }), "A label to recognise the endpoint by."),
    field("Endpoint URL", h("input", { name: "url", type: "url", value: webhook.url || "", placeholder: "https://example.com/webhooks", spellcheck: "false", autocomplete: "off" }),
      "Where messages are POSTed: a public https URL."),
    field("Description", description),
    h("fieldset", { class: "events" },
      h("legend", {}, "Events"),
      h("p", { class: "hint" }, "The event types this endpoint receives."),
      checkbox("events", "*", "All events", { checked: selected.has("*"), hint: "Every type, including ones added later." }),
      h("div", { class: "check-grid" }, types.map((t) => checkbox("events", t.type, t.type, { checked: selected.has(t.type), hint: t.description }))),
      h("p", { class: "field-error", id: errorId, hidden: true })),
    h("div", { class: "actions" }, submit,
      onCancel ? h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel") : null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const events = data.getAll("events");
    const body = {
      name: data.get("name").trim(),
      url: data.get("url").trim(),
      events: events.includes("*") ? ["*"] : events,
      description: data.get("description").trim() || null,
    };
    busy(submit, () => onSubmit(body), form);
  });
  return form;
}

export async function renderEndpoints(view) {
  view.append(pageHeader("Endpoints", h("a", { href: "#/endpoints/new", class: "btn btn-primary", "data-needs": "webhooks:write" }, "Add endpoint")),
    h("p", { class: "lead" }, "Endpoints are the URLs that receive your signed webhook messages."));
  view.append(await pagedTable({
    label: "Endpoints",
    headers: ["Name", "URL", "Events", "Health"],
    emptyText: "No endpoints yet. Add one to start receiving events.",
    fetchPage: (cursor) => api.get("/webhooks", { limit: 25, cursor }),
    toRow: (w) => [
      h("a", { href: `#/endpoints/${api.enc(w.id)}` }, w.name),
      h("span", { class: "url" }, w.url),
      eventsText(w.events),
      health(w),
    ],
  }));
}

export async function renderNewEndpoint(view) {
  const catalogue = await api.get("/event-types");
  const holder = h("div", { class: "card" });
  view.append(h("p", { class: "crumbs" }, h("a", { href: "#/endpoints" }, "Endpoints")), pageHeader("Add endpoint"), holder);
  holder.append(endpointForm({
    types: catalogue.items,
    submitLabel: "Create endpoint",
    onSubmit: async (body) => {
      if (!body.description) delete body.description;
      const created = await api.post("/webhooks", body);
      status(`Endpoint "${created.name}" created.`);
      const box = secretBox({
        heading: "Signing secret", label: "Signing secret", value: created.secret, copyLabel: "Copy secret",
        note: "This secret is shown only once. Copy it now and keep it with your receiver: it verifies each message's signature.",
        after: h("p", {}, h("a", { href: `#/endpoints/${api.enc(created.id)}`, class: "btn" }, "Go to endpoint")),
      });
      holder.replaceWith(h("div", { class: "card created" }, h("p", {}, "Created ", h("strong", {}, created.name), " → ", code(created.url))), box);
      box.querySelector("h2").focus();
    },
  }));
}
