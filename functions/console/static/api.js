// api.js — the fetch wrapper for the integration API: Bearer token from the session,
// JSON bodies, problem+json errors as ApiError, ETag out / If-Match in, Idempotency-Key on POSTs.
// A 401 forgets the session and hands over to the app (onUnauthorized).

import * as session from "./session.js";

let base = "/api/v1/integration";
let onUnauthorized = () => {};

export function configure({ apiBase, unauthorized }) {
  if (apiBase) base = apiBase.replace(/\/+$/, "");
  if (unauthorized) onUnauthorized = unauthorized;
}

export class ApiError extends Error {
  constructor(status, problem = {}) {
    // A 412 always gets the console's own wording: the endpoint changed since it was read.
    const detail = status === 412 ? "" : problem.detail || problem.message || problem.title;
    const text = detail ? detail.charAt(0).toUpperCase() + detail.slice(1) : "";
    super(text ? `${text}${/[.!?]$/.test(text) ? "" : "."}` : messageFor(status));
    this.status = status;
    this.title = problem.title;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

function messageFor(status) {
  if (status === 0) return "Could not reach the API. Check your connection and try again.";
  if (status === 403) return "Your credential does not have the scope this needs.";
  if (status === 404) return "Not found: it does not exist, or it was deleted.";
  if (status === 412) return "This was changed by someone else since you loaded it. Reload to see the changes.";
  if (status === 429) return "Too many requests. Wait a moment and try again.";
  return `The API answered ${status}. Try again.`;
}

const idempotencyKey = () => (crypto.randomUUID ? crypto.randomUUID()
  : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));

// request("GET", "/webhooks", {query, body, ifMatch, token, patch}) -> {data, etag, status}
export async function request(method, path, { query, body, ifMatch, token, patch = false, quiet401 = false } = {}) {
  const auth = token || (session.get() || {}).token;
  const headers = { Accept: "application/json, application/problem+json" };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers["Content-Type"] = patch ? "application/merge-patch+json" : "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  if (method === "POST") headers["Idempotency-Key"] = idempotencyKey();
  let url = base + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") params.set(k, v);
    if ([...params].length) url += `?${params}`;
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError(0);
  }
  const type = res.headers.get("Content-Type") || "";
  const data = res.status === 204 ? null : type.includes("json") ? await res.json().catch(() => null) : null;
  if (res.status === 401 && !token && !quiet401) {
    session.clear();
    onUnauthorized();
    const err = new ApiError(401, { detail: "Your credential was refused" });
    err.silent = true;
    throw err;
  }
  if (!res.ok) throw new ApiError(res.status, data && typeof data === "object" ? data : {});
  return { data, etag: res.headers.get("ETag"), status: res.status };
}

export const get = async (path, query) => (await request("GET", path, { query })).data;
export const post = async (path, body) => (await request("POST", path, { body })).data;
export const enc = encodeURIComponent;

// Every page of a list (for small catalogues such as webhooks in a select); capped.
export async function all(path, query = {}, maxPages = 5) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const page = await get(path, { ...query, limit: 100, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

// Who the session is (GET /whoami: tenant, key id, scopes, expiry); cached for the signed-in session.
let whoamiCache = null;
export function whoami(token) {
  if (!token && whoamiCache) return whoamiCache;
  const promise = request("GET", "/whoami", { token }).then((r) => r.data);
  if (!token) {
    whoamiCache = promise;
    promise.catch(() => { whoamiCache = null; });
  }
  return promise;
}
export const forgetWhoami = () => { whoamiCache = null; };
