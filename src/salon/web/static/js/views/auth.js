// Sign in (with the 2FA step when the account asks for it) and sign up.

import { api, session } from "../api.js";
import { errorBox, h } from "../dom.js";

function field(label, props) {
  const id = `f-${props.name}`;
  return h("div.field", {}, h("label", { for: id }, label), h("input", { id, ...props }));
}

export function authView(outlet, { mode = "signin" } = {}) {
  const errors = h("div");
  const totpField = field("Authentication code", {
    name: "totp_code", inputMode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxLength: 6,
  });
  const recoveryField = field("Or a recovery code", { name: "recovery_code", autocomplete: "off" });
  const twoFactor = h("fieldset.two-factor", { hidden: true },
    h("legend", {}, "Two-factor authentication"),
    h("p.hint", {}, "Enter the 6-digit code from your authenticator app, or one of your recovery codes."),
    totpField, recoveryField);

  const signingUp = mode === "signup";
  const form = h("form.auth-form", { "aria-labelledby": "auth-title", novalidate: false },
    h("h1", { id: "auth-title" }, signingUp ? "Create your account" : "Welcome back"),
    signingUp
      ? [
          field("Username", { name: "username", autocomplete: "username", required: true, minLength: 3, maxLength: 30, pattern: "[A-Za-z0-9_]+" }),
          field("Display name", { name: "display_name", autocomplete: "name", maxLength: 50 }),
          field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
          field("Password", { name: "password", type: "password", autocomplete: "new-password", required: true, minLength: 10 }),
          h("p.hint", {}, "At least 10 characters, not a common password."),
        ]
      : [
          field("Username or email", { name: "login", autocomplete: "username", required: true }),
          field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
          twoFactor,
        ],
    errors,
    h("button.primary.wide", { type: "submit" }, signingUp ? "Sign up" : "Sign in"),
    h("p.switch", {}, signingUp ? "Already have an account? " : "New to salon? ",
      h("a", { href: signingUp ? "#/signin" : "#/signup" }, signingUp ? "Sign in" : "Create an account")),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const values = Object.fromEntries(new FormData(form));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const body = signingUp ? signUpBody(values) : signInBody(values);
      const tokens = await api(signingUp ? "/auth/register" : "/auth/login", { method: "POST", body });
      session.accept(tokens);
      location.hash = "/feed";
    } catch (error) {
      if (error.problem?.totp_required) {
        twoFactor.hidden = false;
        totpField.querySelector("input").focus();
      }
      errors.replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
    }
  });

  outlet.append(h("section.auth", {},
    h("div.auth-intro", {},
      h("p.brand-large", {}, "salon"),
      h("p.tagline", {}, "Conversations worth sharing: with friends, in groups, and with AI.")),
    form));
  form.querySelector("input")?.focus();
}

function signUpBody({ username, email, password, display_name: displayName }) {
  return { username, email, password, ...(displayName ? { display_name: displayName } : {}) };
}

function signInBody({ login, password, totp_code: totpCode, recovery_code: recoveryCode }) {
  return {
    login, password,
    ...(totpCode ? { totp_code: totpCode } : {}),
    ...(recoveryCode ? { recovery_code: recoveryCode } : {}),
  };
}
