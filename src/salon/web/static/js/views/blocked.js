// "Blocked and muted" on your own profile: the people you blocked (GET /users/me/blocks) and muted
// (GET /users/me/mutes), newest first, each with a button that lifts it.

import { api } from "../api.js";
import { avatar, busy, displayName, h, toast } from "../dom.js";
import { pagedList } from "../paging.js";

function undoList({ label, empty, path, action, undo, done }) {
  return pagedList({
    label,
    empty,
    fetchPage: (cursor) => api(path, { query: { cursor } }),
    renderItem: ({ user }) => {
      const button = h("button.secondary", { type: "button", "aria-label": `${undo} @${user.username}` }, undo);
      const row = h("div.person-row", {},
        avatar(user),
        h("a.person-name", { href: `#/@${user.username}` }, displayName(user)),
        h("span.handle", {}, `@${user.username}`),
        h("span.spacer"),
        button);
      button.addEventListener("click", () => busy(button, async () => {
        await api(`/users/${encodeURIComponent(user.username)}/${action}`, { method: "DELETE" });
        row.replaceWith(h("p.muted", {}, `${done} @${user.username}.`));
        toast(`${done} @${user.username}`);
      }));
      return row;
    },
  });
}

/** The section and a cleanup function; `start()` loads the first pages. */
export function blockedAndMuted() {
  const blocked = undoList({
    label: "Blocked accounts",
    empty: "You have not blocked anyone.",
    path: "/users/me/blocks",
    action: "block",
    undo: "Unblock",
    done: "Unblocked",
  });
  const muted = undoList({
    label: "Muted accounts",
    empty: "You have not muted anyone.",
    path: "/users/me/mutes",
    action: "mute",
    undo: "Unmute",
    done: "Unmuted",
  });
  const element = h("section.blocked-muted", { "aria-labelledby": "blocked-muted-title" },
    h("h2.section-title", { id: "blocked-muted-title" }, "Blocked and muted"),
    h("h3.subsection-title", {}, "Blocked"), blocked.element,
    h("h3.subsection-title", {}, "Muted"), muted.element);
  return {
    element,
    start: () => Promise.all([blocked.start(), muted.start()]),
    disconnect: () => {
      blocked.disconnect();
      muted.disconnect();
    },
  };
}
