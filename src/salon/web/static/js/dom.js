// Small DOM helpers: element construction (text is always set as text, never parsed as HTML), icons, time, toasts.

const SVG_NS = "http://www.w3.org/2000/svg";

/** h("button.primary", {onclick, type: "submit"}, "Save"): an element with classes, properties and children. */
export function h(spec, props = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const element = document.createElement(tag || "div");
  if (classes.length) element.className = classes.join(" ");
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "class") element.classList.add(...String(value).split(" ").filter(Boolean));
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("aria-") || key.startsWith("data-") || key === "role" || key === "for") {
      element.setAttribute(key, value === true ? "true" : value);
    } else if (key in element) element[key] = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const ICONS = {
  home: "M3 10.5 12 3l9 7.5V21h-6v-6H9v6H3z",
  explore: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm4 6-2.5 5.5L8 16l2.5-5.5z",
  bell: "M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5-6.7V3.5a2 2 0 0 0-4 0v.8A7 7 0 0 0 5 11v5l-2 2v1h18v-1z",
  chat: "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H8l-5 4V5a1 1 0 0 1 1-1z",
  spark: "M12 2l2.2 6.6L21 11l-6.8 2.4L12 20l-2.2-6.6L3 11l6.8-2.4z",
  user: "M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm0 2c-5 0-9 2.5-9 5.5V22h18v-2.5c0-3-4-5.5-9-5.5z",
  heart: "M12 21s-7.5-4.6-9.5-9.2C1 8.2 3.3 4.5 7 4.5c2 0 3.6 1 5 2.8 1.4-1.8 3-2.8 5-2.8 3.7 0 6 3.7 4.5 7.3C19.5 16.4 12 21 12 21z",
  repost: "M7 7h10v3l4-4-4-4v3H5v6h2zm10 10H7v-3l-4 4 4 4v-3h12v-6h-2z",
  reply: "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z",
  quote: "M6 17h3l2-4V7H5v6h3zm8 0h3l2-4V7h-6v6h3z",
  bookmark: "M6 3h12v18l-6-4-6 4z",
  search: "M10 2a8 8 0 1 0 4.9 14.3l5.4 5.4 1.4-1.4-5.4-5.4A8 8 0 0 0 10 2zm0 2a6 6 0 1 1 0 12 6 6 0 0 1 0-12z",
  image: "M4 5h16v14H4zm2 2v8l4-4 3 3 2-2 3 3V7zm9 1.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z",
  send: "M2 21 23 12 2 3v7l15 2-15 2z",
  stop: "M6 6h12v12H6z",
  fork: "M6 3a3 3 0 0 0-1 5.8v6.4A3 3 0 1 0 7 15v-1.5c0-1 .7-1.5 1.5-1.5h7A3.5 3.5 0 0 0 19 8.5v-.7a3 3 0 1 0-2 0v.7c0 .8-.7 1.5-1.5 1.5h-7c-.5 0-1 .1-1.5.3V8.8A3 3 0 0 0 6 3z",
  flag: "M5 2h2v1h12l-3 5 3 5H7v9H5z",
  plus: "M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z",
  logout: "M10 3h9v18h-9v-2h7V5h-7zm-1 5 1.4 1.4L8.8 11H15v2H8.8l1.6 1.6L9 16l-4-4z",
  back: "M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z",
  more: "M5 10a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm7 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm7 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4z",
};

/** An inline SVG icon, hidden from assistive technology (buttons carry their own labels). */
export function icon(name, size = 20) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", size);
  svg.setAttribute("height", size);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

const UNITS = [
  ["year", 31_536_000], ["month", 2_592_000], ["week", 604_800], ["day", 86_400], ["hour", 3_600], ["minute", 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A <time> saying "3 min. ago", with the full date as its title. */
export function timeAgo(iso) {
  const date = new Date(iso);
  const seconds = (date.getTime() - Date.now()) / 1000;
  let text = "now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) {
      text = relative.format(Math.round(seconds / size), unit);
      break;
    }
  }
  return h("time", { dateTime: iso, title: absolute.format(date) }, text);
}

export function formatCount(count) {
  return new Intl.NumberFormat(undefined, { notation: "compact" }).format(count);
}

/** A round avatar with the person's initials on a colour derived from their id. */
export function avatar(user, size = "md") {
  const name = user?.display_name || user?.username || "?";
  const initials = name
    .split(/\s+/)
    .slice(0, 2)
    .map((part) => Array.from(part)[0] || "")
    .join("")
    .toUpperCase();
  let hash = 0;
  for (const char of user?.id || name) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return h(`span.avatar.avatar-${size}`, { style: `--hue: ${hash}`, "aria-hidden": "true" }, initials);
}

export function displayName(user) {
  return user?.display_name || user?.username || "someone";
}

let toastRegion = null;

/** A short message in the polite live region; errors are announced assertively and stay longer. */
export function toast(message, kind = "info") {
  toastRegion ??= document.getElementById("toasts");
  const item = h(`div.toast.toast-${kind}`, { role: kind === "error" ? "alert" : "status" }, message);
  toastRegion.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/** A visible error block for a failed request: the problem's detail, written for a person. */
export function errorBox(error) {
  return h("div.error-box", { role: "alert" }, error?.message || String(error));
}

export function spinner(label = "Loading") {
  return h("div.spinner", { role: "status" }, h("span.visually-hidden", {}, label));
}

/** Run an async action from a button: disabled while it runs, errors shown as a toast. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } catch (error) {
    toast(error.message, "error");
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// Enter sends the form, Shift+Enter starts a new line (message inputs of chats and AI conversations).
export function submitOnEnter(input, form) {
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}
