// signin.js — the sign-in page: paste an API key (checked with GET /whoami), or single sign-on
// when the deployment configures OIDC. Portal links sign in by themselves (see session.js).

import { startOidc } from "./session.js";
import { busy, field, h, pageHeader, showError } from "./ui.js";

export async function renderSignIn(view, ctx) {
  view.append(pageHeader("Sign in"),
    h("p", { class: "lead" }, "Manage your webhook endpoints and API keys. Open the portal link you were given, or sign in below."));

  const key = h("input", { type: "password", name: "key", autocomplete: "off", spellcheck: "false", autocapitalize: "off" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Sign in");
  const form = h("form", { class: "card stack narrow", novalidate: true },
    h("h2", {}, "With an API key"),
    field("API key", key, "An API key of your tenant (intk_…). This browser tab keeps it until you sign out or close the tab; it is never stored anywhere else."),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = key.value.trim();
    if (!value) {
      showError(new Error("Enter an API key to sign in."));
      key.focus();
      return;
    }
    busy(submit, () => ctx.signInWithKey(value), form);
  });
  view.append(form);

  if (ctx.config.oidc) {
    const sso = h("button", { type: "button", class: "btn" }, "Sign in with single sign-on");
    sso.addEventListener("click", () => busy(sso, () => startOidc(ctx.config.oidc)));
    view.append(h("div", { class: "card stack narrow" },
      h("h2", {}, "With your organisation's account"),
      h("p", {}, "You are sent to your identity provider and come back here signed in."),
      h("div", { class: "actions" }, sso)));
  }
}
