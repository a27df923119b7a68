// app.js — the console's entry point: reads the server's config, applies the theme, takes in a
// portal link or an OIDC redirect, guards routes behind the session, renders the page for each
// hash route and moves focus to its h1.

import * as api from "./api.js";
import * as router from "./router.js";
import * as session from "./session.js";
import { alert, clearAlert, clearStatus, h, loading, pageHeader, status } from "./ui.js";
import { renderSignIn } from "./signin.js";
import { renderEndpoints, renderNewEndpoint } from "./endpoints.js";
import { renderEndpoint } from "./endpoint.js";
import { renderDelivery } from "./delivery.js";
import { renderCatalogue } from "./catalogue.js";
import { renderEvents, renderEvent } from "./events.js";
import { renderApiKeys } from "./apikeys.js";

const PAGES = {
  "sign-in": renderSignIn,
  endpoints: renderEndpoints,
  "endpoint-new": renderNewEndpoint,
  endpoint: renderEndpoint,
  delivery: renderDelivery,
  "event-types": renderCatalogue,
  events: renderEvents,
  event: renderEvent,
  "api-keys": renderApiKeys,
  "not-found": async (view) => view.append(pageHeader("Page not found"),
    h("p", {}, "There is no such page in the console. ", h("a", { href: "#/endpoints" }, "Go to your endpoints"), ".")),
};
const SECTION = { endpoints: "endpoints", "endpoint-new": "endpoints", endpoint: "endpoints", delivery: "endpoints", "event-types": "event-types", events: "events", event: "events", "api-keys": "api-keys" };

const MESSAGES = {
  expired: "Your session has expired. Sign in again to continue.",
  refused: "Your credential was refused by the API: it has expired or was revoked. Sign in again.",
  linkExpired: "This portal link has expired. Ask for a new link, or sign in with an API key.",
  linkInvalid: "This portal link is not valid. Ask for a new link, or sign in with an API key.",
  linkRefused: "The key in this portal link was refused: it was revoked or has expired. Ask for a new link.",
};

const config = readConfig();
const main = document.getElementById("main");
let flash = null; // an alert to show on the next page (e.g. after the session ended)
let returnTo = null; // where to go after signing in
let navToken = 0;

function readConfig() {
  const fallback = { apiBase: "/api/v1/integration", version: null, oidc: null };
  try {
    return { ...fallback, ...JSON.parse(document.getElementById("console-config").textContent) };
  } catch {
    return fallback;
  }
}

// ---- theme ---------------------------------------------------------------------------------------

const media = matchMedia("(prefers-color-scheme: dark)");
const themeButton = document.getElementById("theme-toggle");

function storedTheme() {
  try { return localStorage.getItem("console-theme"); } catch { return null; }
}

function applyTheme() {
  const stored = storedTheme();
  const theme = stored === "dark" || stored === "light" ? stored : media.matches ? "dark" : "light";
  document.documentElement.dataset.theme = theme;
  themeButton.textContent = theme === "dark" ? "Switch to light theme" : "Switch to dark theme";
}

themeButton.addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  try { localStorage.setItem("console-theme", next); } catch { /* private mode: this page only */ }
  applyTheme();
});
media.addEventListener("change", applyTheme);
applyTheme();

// ---- session ending ------------------------------------------------------------------------------

function endSession(message) {
  session.clear();
  clearStatus();
  api.forgetWhoami();
  flash = message;
  if (router.parse().name === "sign-in") onRoute(router.parse());
  else router.replace("/sign-in");
}

async function signInWithKey(key) {
  let who;
  try {
    who = await api.whoami(key);
  } catch (err) {
    if (err.status === 401) throw new Error("This API key was refused: it is unknown, revoked or expired.");
    throw err;
  }
  const expiresAt = who.expires_at ? Date.parse(who.expires_at) : null;
  if (expiresAt && expiresAt <= Date.now()) throw new Error("This API key was refused: it has expired.");
  session.save(key, expiresAt, "api-key");
  api.forgetWhoami();
  status("Signed in.");
  router.go(returnTo || "/endpoints");
  returnTo = null;
}

document.getElementById("sign-out").addEventListener("click", () => {
  session.clear();
  api.forgetWhoami();
  status("Signed out. The key was forgotten by this browser tab.");
  router.go("/sign-in");
});

// The skip link must not change the hash (hash routing): move focus to main instead.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

// ---- rendering -----------------------------------------------------------------------------------

// What the session may not do is hidden, not offered and refused: every control that needs a scope
// carries data-needs="<scope>", and <body> gets a class lacks-<scope> for each scope the key lacks.
const GATED_SCOPES = ["webhooks:write", "api-keys:read", "api-keys:write"];

async function applyScopes() {
  let scopes = null;
  try { scopes = (await api.whoami()).scopes; } catch { /* a 401 ends the session elsewhere */ }
  for (const scope of GATED_SCOPES) {
    document.body.classList.toggle(`lacks-${scope.replace(":", "-")}`, Array.isArray(scopes) && !scopes.includes(scope));
  }
}

function updateChrome(route, signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.section === SECTION[route.name]) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function onRoute(route) {
  const token = ++navToken;
  const signedIn = Boolean(session.get());
  if (!signedIn && route.name !== "sign-in") {
    returnTo = route.name === "not-found" ? null : route.path;
    router.replace("/sign-in");
    return;
  }
  if (signedIn && route.name === "sign-in") {
    router.replace("/endpoints");
    return;
  }
  updateChrome(route, signedIn);
  if (signedIn) await applyScopes();
  if (token !== navToken) return;
  clearAlert();
  clearStatus(1000);
  if (flash) { alert(flash); flash = null; }
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(loading());
  const view = h("div", { class: "view" });
  const ctx = {
    params: route.params,
    config,
    isCurrent: () => token === navToken,
    reload: () => onRoute(router.parse()),
    signInWithKey,
    setReturnTo: (path) => { returnTo = path; },
  };
  try {
    await PAGES[route.name](view, ctx);
  } catch (err) {
    if (token !== navToken || err.silent) return;
    view.replaceChildren(
      pageHeader(err.status === 404 ? "Not found" : "Something went wrong"),
      h("p", { class: "error-text" }, err.message || String(err)),
      h("p", {}, h("button", { type: "button", class: "btn", onclick: ctx.reload }, "Try again"), " ",
        h("a", { href: "#/endpoints" }, "Back to endpoints")));
  }
  if (token !== navToken) return;
  main.replaceChildren(view);
  main.removeAttribute("aria-busy");
  const h1 = view.querySelector("h1");
  document.title = `${h1 ? h1.textContent : "Console"} · Integration console`;
  (h1 || main).focus();
}

// ---- start ---------------------------------------------------------------------------------------

// A portal link in the address bar (on load, or opened in a tab where the console already runs):
// it replaces the session, once GET /whoami accepts its key.
async function takePortalLink() {
  const link = session.consumePortalLink();
  if (link === "expired") flash = MESSAGES.linkExpired;
  if (link === "invalid") flash = MESSAGES.linkInvalid;
  if (link !== "stored") return;
  api.forgetWhoami();
  try {
    const who = await api.whoami(session.get().token);
    if (who.expires_at) session.save(session.get().token, Date.parse(who.expires_at), "portal-link");
  } catch (err) {
    if (err.status === 401) { session.clear(); flash = MESSAGES.linkRefused; }
  }
}

async function boot() {
  api.configure({ apiBase: config.apiBase, unauthorized: () => endSession(MESSAGES.refused) });
  if (config.oidc || new URLSearchParams(location.search).has("code")) {
    const result = await session.completeOidc(config.oidc);
    if (result && result.error) flash = result.error;
  }
  await takePortalLink();
  if (!location.hash || location.hash === "#" || location.hash === "#/") history.replaceState(null, "", `${location.pathname}#/endpoints`);
  if (session.isExpired(session.get())) { session.clear(); flash = MESSAGES.expired; }
  router.start(async (route) => {
    if (location.hash.startsWith("#key=")) {
      await takePortalLink();
      route = router.parse();
    }
    onRoute(route);
  });
  onRoute(router.parse());
  session.watchExpiry(() => endSession(MESSAGES.expired));
}

boot();
