// events.js — the tenant's event log (filter by type and time, "Load more") and one event's page:
// its payload and, per endpoint, how its delivery went.

import * as api from "./api.js";
import { busy, code, details, empty, field, h, localToIso, pageHeader, pagedTable, pre, select, showError, statusBadge, table, time } from "./ui.js";

export async function renderEvents(view) {
  const catalogue = await api.get("/event-types").catch(() => ({ items: [] }));
  const apply = h("button", { type: "submit", class: "btn btn-primary" }, "Apply filters");
  const form = h("form", { class: "filters" },
    field("Event type", select("type", [["", "All"], ...catalogue.items.map((t) => [t.type, t.type])])),
    field("Since", h("input", { type: "datetime-local", name: "since" })),
    field("Until", h("input", { type: "datetime-local", name: "until" })),
    h("div", { class: "actions" }, apply));
  const results = h("div", { class: "results" });

  async function load() {
    const data = new FormData(form);
    const query = { limit: 25, type: data.get("type"), since: localToIso(data.get("since")), until: localToIso(data.get("until")) };
    try {
      results.replaceChildren(await pagedTable({
        label: "Events",
        headers: ["Type", "Event", "Time", "Endpoints"],
        emptyText: query.type || query.since || query.until ? "No events match these filters." : "No events yet. Events appear here once they reach your endpoints.",
        fetchPage: (cursor) => api.get("/events", { ...query, cursor }),
        toRow: (e) => [code(e.type), h("a", { href: `#/events/${api.enc(e.id)}` }, e.id), time(e.occurred_at), String((e.webhook_ids || []).length)],
      }));
    } catch (err) {
      results.replaceChildren(h("p", { class: "error-text" }, err.message));
      showError(err);
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(apply, load);
  });

  view.append(pageHeader("Events"),
    h("p", { class: "lead" }, "Every event that reached your endpoints, newest first."),
    h("div", { class: "card" }, form), results);
  await load();
}

export async function renderEvent(view, ctx) {
  const [event, webhooks] = await Promise.all([
    api.get(`/events/${api.enc(ctx.params.id)}`),
    api.all("/webhooks").catch(() => []),
  ]);
  const names = new Map(webhooks.map((w) => [w.id, w.name]));
  const deliveries = event.deliveries || [];
  view.append(h("p", { class: "crumbs" }, h("a", { href: "#/events" }, "Events")),
    pageHeader("Event"),
    h("div", { class: "card" }, details([
      ["Type", code(event.type)],
      ["Event ID", code(event.id)],
      ["Occurred", time(event.occurred_at, { absolute: true })],
      ["Source ID", event.source_id && event.source_id !== event.id ? code(event.source_id) : null],
    ])),
    h("section", { class: "card" }, h("h2", {}, "Deliveries"),
      deliveries.length
        ? table("Deliveries", ["Endpoint", "Status", "Attempts", "Last status code", "Updated", "Details"], deliveries.map((d) => [
          names.has(d.webhook_id) ? h("a", { href: `#/endpoints/${api.enc(d.webhook_id)}` }, names.get(d.webhook_id)) : code(d.webhook_id),
          statusBadge(d.status),
          String(d.attempt_count),
          d.last_status_code === null ? "—" : String(d.last_status_code),
          time(d.updated_at),
          h("a", { href: `#/endpoints/${api.enc(d.webhook_id)}/deliveries/${api.enc(d.delivery_id)}`, "aria-label": `View delivery ${d.delivery_id}` }, "View"),
        ]))
        : empty("No endpoint was subscribed to this event.")),
    h("section", { class: "card" }, h("h2", {}, "Payload"), pre(event.data)));
}
