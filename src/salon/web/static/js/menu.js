// A "more" disclosure: a button that shows a short list of action buttons. Escape, choosing an item, or moving focus
// elsewhere closes it. A plain disclosure (aria-expanded), not an ARIA menu: Tab moves through the items.

import { h, icon } from "./dom.js";

let closeOpenMenu = null;

/**
 * moreMenu(label, () => [{label, onSelect(button), danger}]) -> {element, button}. The items are built each time the
 * menu opens, so they can reflect the current state; `onSelect` gets the menu's button (for a busy state).
 */
export function moreMenu(label, items) {
  const id = `menu-${Math.random().toString(36).slice(2, 8)}`;
  const button = h("button.action.more", {
    type: "button", "aria-label": label, "aria-expanded": "false", "aria-controls": id, title: label,
  }, icon("more", 18));
  const panel = h("div.menu-panel", { id, hidden: true });
  const element = h("div.menu", {}, button, panel);

  const close = (refocus) => {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (closeOpenMenu === close) closeOpenMenu = null;
    if (refocus) button.focus();
  };
  const open = () => {
    closeOpenMenu?.(false);
    panel.replaceChildren(...items().map((item) =>
      h(`button.menu-item${item.danger ? ".danger-text" : ""}`, {
        type: "button",
        onclick: () => {
          close(true);
          item.onSelect(button);
        },
      }, item.label)));
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    closeOpenMenu = close;
    panel.querySelector("button")?.focus();
  };

  button.addEventListener("click", () => (panel.hidden ? open() : close(false)));
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.stopPropagation();
      close(true);
    }
  });
  element.addEventListener("focusout", (event) => {
    if (!panel.hidden && !element.contains(event.relatedTarget)) close(false);
  });
  return { element, button };
}
