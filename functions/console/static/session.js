// session.js — who is signed in: the portal-link fragment, a pasted API key, or OIDC
// (authorization code + PKCE S256). The session lives only in sessionStorage "console-session"
// as {token, expiresAt (ms or null), kind}; a timer forgets it at its expiry.

const STORE = "console-session";
const OIDC_PENDING = "console-oidc";
let expiryTimer;
let onExpire = () => {};

export function get() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE) || "null");
    if (!s || typeof s.token !== "string" || !s.token) return null;
    return s;
  } catch {
    return null;
  }
}

export const isExpired = (s) => Boolean(s && s.expiresAt && s.expiresAt <= Date.now());

export function save(token, expiresAt, kind) {
  const session = { token, expiresAt: expiresAt || null, kind };
  sessionStorage.setItem(STORE, JSON.stringify(session));
  schedule();
  return session;
}

export function clear() {
  clearTimeout(expiryTimer);
  sessionStorage.removeItem(STORE);
}

// Calls fn() when the stored session reaches its expiry (re-armed in steps: setTimeout caps at ~24.8 days).
export function watchExpiry(fn) {
  onExpire = fn;
  schedule();
}

function schedule() {
  clearTimeout(expiryTimer);
  const s = get();
  if (!s || !s.expiresAt) return;
  const wait = s.expiresAt - Date.now();
  if (wait <= 0) { clear(); onExpire(); return; }
  expiryTimer = setTimeout(schedule, Math.min(wait, 2 ** 31 - 1));
}

// A fragment "#key=...&expires_at=..." is a portal link: take it out of the address bar and
// history at once, then store it unless it has already expired. Returns null, "stored" or "expired".
export function consumePortalLink() {
  if (!location.hash.startsWith("#key=")) return null;
  const params = {};
  for (const part of location.hash.slice(1).split("&")) {
    const [name, ...rest] = part.split("=");
    try { params[name] = decodeURIComponent(rest.join("=")); } catch { params[name] = ""; }
  }
  history.replaceState(null, "", `${location.pathname}#/endpoints`);
  // Without expires_at (the link `make run` prints: a key that does not expire), GET /whoami tells.
  const expiresAt = "expires_at" in params ? Date.parse(params.expires_at) : null;
  if (!params.key || Number.isNaN(expiresAt)) return "invalid";
  if (expiresAt !== null && expiresAt <= Date.now()) return "expired";
  save(params.key, expiresAt, "portal-link");
  return "stored";
}

// ---- OIDC: authorization code with PKCE ----------------------------------------------------------

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const randomString = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => location.origin + location.pathname;

async function discover(issuer) {
  const res = await fetch(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`The identity provider's discovery document answered ${res.status}.`);
  return res.json();
}

export async function startOidc(oidc) {
  const meta = await discover(oidc.issuer);
  const verifier = randomString(48);
  const state = randomString(24);
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(OIDC_PENDING, JSON.stringify({ state, verifier, tokenEndpoint: meta.token_endpoint }));
  const query = new URLSearchParams({
    response_type: "code", client_id: oidc.clientId, redirect_uri: redirectUri(), scope: oidc.scope || "openid",
    state, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(`${meta.authorization_endpoint}${meta.authorization_endpoint.includes("?") ? "&" : "?"}${query}`);
}

// After the provider redirects back with ?code=&state= (or ?error=): exchange the code, store the
// access token, and remove the query from the address bar. Returns null (nothing to do), or
// {ok: true} / {error: "..."}.
export async function completeOidc(oidc) {
  const query = new URLSearchParams(location.search);
  if (!query.has("code") && !query.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(OIDC_PENDING) || "null");
  sessionStorage.removeItem(OIDC_PENDING);
  const clean = () => history.replaceState(null, "", `${location.pathname}#/endpoints`);
  try {
    if (query.has("error")) throw new Error(`Single sign-on failed: ${query.get("error_description") || query.get("error")}.`);
    if (!oidc || !pending || pending.state !== query.get("state")) throw new Error("Single sign-on failed: the answer did not match this browser's request. Try again.");
    const res = await fetch(pending.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code: query.get("code"), redirect_uri: redirectUri(),
        client_id: oidc.clientId, code_verifier: pending.verifier,
      }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || !body.access_token) throw new Error(`Single sign-on failed: the token endpoint answered ${res.status}${body.error ? ` (${body.error})` : ""}.`);
    const expiresAt = body.expires_in ? Date.now() + Number(body.expires_in) * 1000 : null;
    save(body.access_token, expiresAt, "oidc");
    return { ok: true };
  } catch (err) {
    return { error: err.message };
  } finally {
    clean();
  }
}
