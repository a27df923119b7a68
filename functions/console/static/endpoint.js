// endpoint.js — one endpoint: details and health, edit (If-Match with the ETag), enable/disable,
// rotate secret, delete, send a test event, the delivery log with filters, and recover/replay jobs.

import * as api from "./api.js";
import * as router from "./router.js";
import { endpointForm, eventsText, health } from "./endpoints.js";
import {
  busy, code, confirm, details, field, h, isoToLocal, localToIso, pagedTable, secretBox, section,
  select, showError, status, statusBadge, time,
} from "./ui.js";

export async function renderEndpoint(view, ctx) {
  const path = `/webhooks/${api.enc(ctx.params.id)}`;
  const [first, catalogue] = await Promise.all([
    api.request("GET", path),
    api.get("/event-types").catch(() => ({ items: [] })),
  ]);
  let webhook = first.data;
  let etag = first.etag;
  const types = catalogue.items;

  const title = h("h1", { tabindex: "-1" }, webhook.name);
  const summary = h("div");
  const panel = h("div", { class: "panel" });
  const editButton = h("button", { type: "button", class: "btn", "aria-expanded": "false" }, "Edit");
  const toggleButton = h("button", { type: "button", class: "btn" });
  const rotateButton = h("button", { type: "button", class: "btn" }, "Rotate secret");
  const deleteButton = h("button", { type: "button", class: "btn btn-danger" }, "Delete endpoint");
  const actions = h("div", { class: "actions", "data-needs": "webhooks:write" }, editButton, toggleButton, rotateButton, deleteButton);

  function renderSummary() {
    title.textContent = webhook.name;
    if (ctx.isCurrent() && title.isConnected) document.title = `${webhook.name} · Integration console`;
    toggleButton.textContent = webhook.status === "active" ? "Disable" : "Enable";
    summary.replaceChildren(h("div", { class: "card" }, details([
      ["URL", h("span", { class: "url" }, webhook.url)],
      ["Description", webhook.description || null],
      ["Events", eventsText(webhook.events)],
      ["Status", statusBadge(webhook.status)],
      ["Health", health(webhook)],
      ["Previous secret", webhook.previous_secret_expires_at
        ? h("span", {}, new Date(webhook.previous_secret_expires_at) > new Date() ? "still valid until " : "stopped ", time(webhook.previous_secret_expires_at, { absolute: true }))
        : null],
      ["Created", time(webhook.created_at, { absolute: true })],
      ["Updated", time(webhook.updated_at, { absolute: true })],
      ["Endpoint ID", code(webhook.id)],
    ]), actions));
  }

  const apply = (res) => {
    webhook = res.data;
    etag = res.etag || etag;
    renderSummary();
  };
  const reloadWebhook = async () => apply(await api.request("GET", path));

  editButton.addEventListener("click", () => {
    if (editButton.getAttribute("aria-expanded") === "true") { closeEdit(); return; }
    editButton.setAttribute("aria-expanded", "true");
    const form = endpointForm({
      types, webhook, submitLabel: "Save changes", onCancel: closeEdit,
      onSubmit: async (body) => {
        apply(await api.request("PATCH", path, { body, ifMatch: etag, patch: true }));
        closeEdit();
        status("Changes saved.");
      },
    });
    panel.replaceChildren(section("Edit endpoint", form));
    form.querySelector("input").focus();
  });
  function closeEdit() {
    editButton.setAttribute("aria-expanded", "false");
    panel.replaceChildren();
    editButton.focus();
  }

  toggleButton.addEventListener("click", () => busy(toggleButton, async () => {
    const next = webhook.status === "active" ? "disabled" : "active";
    apply(await api.request("PATCH", path, { body: { status: next }, ifMatch: etag, patch: true }));
    status(next === "active" ? "Endpoint enabled: it receives events again." : "Endpoint disabled: it receives no events until enabled.");
    toggleButton.focus();
  }));

  rotateButton.addEventListener("click", async () => {
    const ok = await confirm({
      title: "Rotate the signing secret?",
      body: ["A new secret is generated and shown once. The current secret keeps signing alongside it for a grace period (24 hours by default), so you can update your receiver without missing messages."],
      confirm: "Rotate", danger: false,
    });
    if (!ok) return;
    await busy(rotateButton, async () => {
      const rotated = await api.post(`${path}/rotate-secret`);
      const box = secretBox({
        heading: "New signing secret", label: "Signing secret", value: rotated.secret, copyLabel: "Copy secret",
        note: "This secret is shown only once. Copy it now and update your receiver.",
        after: rotated.previous_secret_expires_at
          ? h("p", {}, "The previous secret keeps working until ", time(rotated.previous_secret_expires_at, { absolute: true }), ".")
          : h("p", {}, "The previous secret has stopped working."),
      });
      panel.replaceChildren(box);
      box.querySelector("h2").focus();
      status("Signing secret rotated.");
      await reloadWebhook().catch(() => {});
    });
  });

  deleteButton.addEventListener("click", async () => {
    const ok = await confirm({
      title: `Delete endpoint "${webhook.name}"?`,
      body: ["It stops receiving events at once and its delivery log is no longer available. This cannot be undone."],
      confirm: "Delete",
    });
    if (!ok) return;
    await busy(deleteButton, async () => {
      await api.request("DELETE", path, { ifMatch: etag });
      status(`Endpoint "${webhook.name}" deleted.`);
      router.go("/endpoints");
    });
  });

  renderSummary();
  const deliveries = deliveriesSection(path, types, ctx);
  view.append(h("p", { class: "crumbs" }, h("a", { href: "#/endpoints" }, "Endpoints")),
    h("div", { class: "page-head" }, title), summary, panel,
    testSection(path, types, deliveries.load), deliveries.element, jobSection(path, ctx, deliveries.load));
  await deliveries.load();
}

function testSection(path, types, afterSend) {
  const send = h("button", { type: "submit", class: "btn" }, "Send test");
  const form = h("form", { class: "inline-form", "data-needs": "webhooks:write" },
    field("Event type", select("event_type", [["", "webhook.test (a plain test message)"], ...types.map((t) => [t.type, `${t.type} (example payload)`])])),
    send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const eventType = new FormData(form).get("event_type") || null;
    busy(send, async () => {
      await api.post(`${path}/test`, { event_type: eventType });
      status(`Test message ${eventType || "webhook.test"} queued. It shows under Deliveries in a moment.`);
      setTimeout(afterSend, 2000);
    }, form);
  });
  return section("Send a test event", h("p", { class: "hint" }, "Sends a signed message to this endpoint now, outside its subscriptions."), form);
}

function deliveriesSection(path, types, ctx) {
  const apply = h("button", { type: "submit", class: "btn btn-primary" }, "Apply filters");
  const refresh = h("button", { type: "button", class: "btn" }, "Refresh");
  const form = h("form", { class: "filters" },
    field("Status", select("status", [["", "All"], ["succeeded", "Succeeded"], ["failed", "Failed"], ["pending", "Pending"]])),
    field("Event type", select("event_type", [["", "All"], ["webhook.test", "webhook.test"], ...types.map((t) => [t.type, t.type])])),
    field("Since", h("input", { type: "datetime-local", name: "since" })),
    field("Until", h("input", { type: "datetime-local", name: "until" })),
    h("div", { class: "actions" }, apply, refresh));
  const results = h("div", { class: "results" });

  async function load() {
    if (!ctx.isCurrent()) return;
    const data = new FormData(form);
    const query = {
      limit: 20, status: data.get("status"), event_type: data.get("event_type"),
      since: localToIso(data.get("since")), until: localToIso(data.get("until")),
    };
    results.setAttribute("aria-busy", "true");
    try {
      results.replaceChildren(await pagedTable({
        label: "Deliveries",
        headers: ["Event type", "Status", "Attempts", "Last status code", "Created", "Details"],
        emptyText: query.status || query.event_type || query.since || query.until ? "No deliveries match these filters." : "No deliveries yet. Send a test event to see one here.",
        fetchPage: (cursor) => api.get(`${path}/deliveries`, { ...query, cursor }),
        toRow: (d) => [
          code(d.event_type),
          h("span", { class: "status-cell" }, statusBadge(d.status),
            d.status === "pending" && d.next_attempt_at ? h("small", {}, " next ", time(d.next_attempt_at)) : null,
            d.dropped_reason ? h("small", {}, ` ${d.dropped_reason}`) : null),
          String(d.attempt_count),
          d.last_status_code === null ? "—" : String(d.last_status_code),
          time(d.created_at),
          h("a", { href: `#${path.replace("/webhooks", "/endpoints")}/deliveries/${api.enc(d.id)}`, "aria-label": `View delivery ${d.id}` }, "View"),
        ],
      }));
    } catch (err) {
      results.replaceChildren(h("p", { class: "error-text" }, err.message));
      showError(err);
    } finally {
      results.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(apply, load);
  });
  refresh.addEventListener("click", () => busy(refresh, async () => { await load(); status("Deliveries refreshed."); }));
  return { load, element: section("Deliveries", form, results) };
}

const jobText = (job) => {
  const c = job.counts || {};
  const kind = job.kind === "replay" ? "Replay" : "Recovery";
  return `${kind} job ${job.status}: ${c.matched ?? 0} matched, ${c.sent ?? 0} sent, ${c.succeeded ?? 0} succeeded, ${c.failed ?? 0} failed, ${c.skipped ?? 0} skipped.${job.error ? ` Error: ${job.error}` : ""}`;
};

function jobSection(path, ctx, afterJob) {
  const from = h("input", { type: "datetime-local", name: "since", value: isoToLocal(new Date(Date.now() - 864e5)) });
  const recover = h("button", { type: "button", class: "btn" }, "Recover failed messages");
  const replay = h("button", { type: "button", class: "btn" }, "Replay events");
  const progress = h("div", { class: "job" });
  const form = h("form", { novalidate: true, "data-needs": "webhooks:write" },
    h("fieldset", { class: "plain" },
      h("legend", { class: "sr-only" }, "Recover and replay"),
      h("p", { class: "hint" }, "Recover sends again every failed message since this time. Replay delivers every logged event since then that this endpoint subscribes to, also ones from before it existed."),
      field("From", from),
      h("div", { class: "actions" }, recover, replay)));
  form.addEventListener("submit", (event) => event.preventDefault());

  function show(job) {
    progress.replaceChildren(h("p", {}, statusBadge(job.status), " ", jobText(job)),
      h("p", { class: "hint" }, "Started ", time(job.created_at), job.finished_at ? [", finished ", time(job.finished_at)] : null, ". Job ", code(job.id)));
    status(jobText(job));
  }

  async function poll(job) {
    while (ctx.isCurrent() && (job.status === "queued" || job.status === "running")) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      if (!ctx.isCurrent()) return;
      try {
        job = await api.get(`${path}/jobs/${api.enc(job.id)}`);
      } catch (err) {
        showError(err);
        return;
      }
      show(job);
    }
    if (ctx.isCurrent()) afterJob();
  }

  const start = (button, kind) => busy(button, async () => {
    const since = localToIso(from.value);
    const job = await api.post(`${path}/${kind}`, since ? { since } : {});
    show(job);
    poll(job);
  }, form);
  recover.addEventListener("click", () => start(recover, "recover"));
  replay.addEventListener("click", () => start(replay, "replay"));
  return section("Recover and replay", form, progress);
}
