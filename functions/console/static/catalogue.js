// catalogue.js — the event catalogue: every event type with its description, JSON schema and
// example, and a form to send a sample of it to one of the tenant's endpoints.

import * as api from "./api.js";
import { badge, busy, code, empty, field, h, pageHeader, pre, select, status } from "./ui.js";

export async function renderCatalogue(view) {
  const [catalogue, webhooks] = await Promise.all([
    api.get("/event-types"),
    api.all("/webhooks").catch(() => []),
  ]);
  view.append(pageHeader("Event catalogue"),
    h("p", { class: "lead" }, "The event types your endpoints can subscribe to. Events come from source ",
      code(catalogue.source), "; subscribe to ", code(catalogue.wildcard || "*"), " (All events) to get every type, including ones added later."));
  if (!catalogue.items.length) {
    view.append(empty("No event types are published yet."));
    return;
  }
  webhooks.sort((a, b) => (a.status === "active" ? 0 : 1) - (b.status === "active" ? 0 : 1));
  const options = webhooks.length
    ? webhooks.map((w) => [w.id, w.status === "active" ? w.name : `${w.name} (disabled)`])
    : [["", "No endpoints yet"]];
  for (const type of catalogue.items) {
    const send = h("button", { type: "submit", class: "btn", "aria-label": `Send sample ${type.type}`, disabled: !webhooks.length }, "Send sample");
    const endpoint = select("webhook", options);
    endpoint.disabled = !webhooks.length;
    const form = h("form", { class: "inline-form", "data-needs": "webhooks:write" }, field("Endpoint", endpoint), send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const target = webhooks.find((w) => w.id === endpoint.value);
      if (!target) return;
      busy(send, async () => {
        await api.post(`/webhooks/${api.enc(target.id)}/test`, { event_type: type.type });
        status(`Sample ${type.type} sent to ${target.name}. See its deliveries on the endpoint's page.`);
      }, form);
    });
    view.append(h("section", { class: "card event-type" },
      h("div", { class: "event-type-head" }, h("h2", {}, type.type), badge(type.origin === "platform" ? "platform" : "service", "neutral")),
      h("p", {}, type.description),
      h("div", { class: "disclosures" },
        h("details", {}, h("summary", {}, "Schema"), pre(type.schema || {})),
        h("details", {}, h("summary", {}, "Example"), pre(type.example || {}))),
      form));
  }
}
