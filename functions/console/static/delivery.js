// delivery.js — one delivery (message) of an endpoint: its status, every attempt with status code,
// duration and the response excerpt, the payload, and a manual "Retry".

import * as api from "./api.js";
import { badge, busy, code, details, empty, h, pageHeader, pre, status, statusBadge, table, time } from "./ui.js";

const succeeded = (a) => a.status_code !== null && a.status_code >= 200 && a.status_code < 300;

function responseCell(attempt) {
  return h("div", { class: "response" },
    attempt.error ? h("p", { class: "error-text" }, attempt.error) : null,
    attempt.response_body ? h("pre", { class: "excerpt" }, attempt.response_body) : h("span", { class: "muted" }, "(empty)"));
}

export async function renderDelivery(view, ctx) {
  const { id, deliveryId } = ctx.params;
  const path = `/webhooks/${api.enc(id)}/deliveries/${api.enc(deliveryId)}`;
  const retry = h("button", { type: "button", class: "btn btn-primary", "data-needs": "webhooks:write" }, "Retry");
  const refresh = h("button", { type: "button", class: "btn" }, "Refresh");
  const body = h("div");

  async function load() {
    const d = await api.get(path);
    const attempts = d.attempts || [];
    body.replaceChildren(
      h("div", { class: "card" }, details([
        ["Event type", code(d.event_type)],
        ["Status", statusBadge(d.status)],
        ["Message ID", code(d.id)],
        ["Event", d.event_id ? h("a", { href: `#/events/${api.enc(d.event_id)}` }, d.event_id) : null],
        ["Attempts", String(d.attempt_count)],
        ["Last status code", d.last_status_code === null ? "—" : String(d.last_status_code)],
        ["Next attempt", d.next_attempt_at ? time(d.next_attempt_at, { absolute: true }) : null],
        ["Dropped", d.dropped_reason || null],
        ["Retry", d.status === "pending" ? "An attempt is already scheduled: Retry works once it has succeeded or failed." : null],
        ["Created", time(d.created_at, { absolute: true })],
        ["Updated", time(d.updated_at, { absolute: true })],
      ])),
      h("section", { class: "card" }, h("h2", {}, "Attempts"),
        attempts.length
          ? table("Attempts", ["Attempt", "Time", "Trigger", "Status code", "Duration", "Response", "Result"],
            attempts.map((a, i) => [
              String(i + 1),
              time(a.at, { absolute: true }),
              a.trigger,
              a.status_code === null ? "no response" : String(a.status_code),
              `${a.duration_ms} ms`,
              responseCell(a),
              badge(succeeded(a) ? "succeeded" : "failed", succeeded(a) ? "ok" : "bad"),
            ]))
          : empty("No attempts yet: the message is queued for its first attempt.")),
      h("section", { class: "card" }, h("h2", {}, "Payload"),
        h("details", {}, h("summary", {}, "Show the signed message body"), pre(d.payload))));
  }

  retry.addEventListener("click", () => busy(retry, async () => {
    await api.post(`${path}/retry`);
    status("Retry queued: the message is sent again now. Use Refresh to see the new attempt.");
  }));
  refresh.addEventListener("click", () => busy(refresh, async () => {
    await load();
    status("Delivery refreshed.");
  }));

  await load();
  view.append(h("p", { class: "crumbs" }, h("a", { href: `#/endpoints/${api.enc(id)}` }, "Back to the endpoint")),
    pageHeader("Delivery", retry, refresh), body);
}
