// router.js — hash routing: "#/endpoints/wh_123" -> {name: "endpoint", params: {id: "wh_123"}}.

const ROUTES = [
  ["sign-in", /^\/sign-in$/],
  ["endpoints", /^\/endpoints$/],
  ["endpoint-new", /^\/endpoints\/new$/],
  ["delivery", /^\/endpoints\/(?<id>[^/]+)\/deliveries\/(?<deliveryId>[^/]+)$/],
  ["endpoint", /^\/endpoints\/(?<id>[^/]+)$/],
  ["event-types", /^\/event-types$/],
  ["events", /^\/events$/],
  ["event", /^\/events\/(?<id>[^/]+)$/],
  ["api-keys", /^\/api-keys$/],
];

export function parse(hash = location.hash) {
  const path = hash.replace(/^#/, "").split("?")[0] || "/endpoints";
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      const params = {};
      for (const [k, v] of Object.entries(match.groups || {})) {
        try { params[k] = decodeURIComponent(v); } catch { params[k] = v; }
      }
      return { name, params, path };
    }
  }
  return { name: "not-found", params: {}, path };
}

export const go = (path) => {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = path;
};

// Replaces the current history entry (used for redirects, so Back does not bounce).
export const replace = (path) => location.replace(`${location.pathname}${location.search}#${path}`);

export const start = (onRoute) => window.addEventListener("hashchange", () => onRoute(parse()));
