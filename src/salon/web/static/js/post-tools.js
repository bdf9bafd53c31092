// A post's actions beyond the counters: edit and delete on your own posts, report on others', and the edit history.

import { api, session } from "./api.js";
import { visibilitySelect } from "./compose.js";
import { busy, clear, errorBox, h, timeAgo, toast } from "./dom.js";
import { moreMenu } from "./menu.js";
import { openReportDialog } from "./report.js";

/**
 * The "More actions" menu of a post card. `textNode` is the card's text (the editor takes its place); `replace(post)`
 * renders the card again from a post or a tombstone and answers the new element.
 */
export function postMenu(post, { textNode, replace }) {
  const mine = session.user !== null && post.author.id === session.user.id;
  const menu = moreMenu("More actions", () => (mine
    ? [
        { label: "Edit post", onSelect: () => openEditor(post, { textNode, replace, menuButton: menu.button }) },
        { label: "Delete post", danger: true, onSelect: (button) => deletePost(post, button, replace) },
      ]
    : [{
        label: "Report post",
        onSelect: () => openReportDialog({ subjectType: "post", subjectId: post.id, title: "Report post" }),
      }]));
  return menu.element;
}

/** The text becomes a form holding it and the visibility; saving sends PATCH /posts/{id} and renders the card from
 * the answer. */
function openEditor(post, { textNode, replace, menuButton }) {
  if (textNode.editor?.isConnected) {
    textNode.editor.querySelector("textarea").focus();
    return;
  }
  const id = `edit-${Math.random().toString(36).slice(2, 8)}`;
  const input = h("textarea", { id, name: "content", rows: 3, value: post.content });
  const visibility = visibilitySelect(post.visibility);
  const errors = h("div");
  const save = h("button.primary", { type: "submit" }, "Save");
  const cancel = h("button.secondary", { type: "button" }, "Cancel");
  const form = h("form.post-editor", { "aria-label": "Edit post" },
    h("label.visually-hidden", { for: id }, "Edit post text"),
    input,
    errors,
    h("div.composer-bar", {}, visibility, h("span.spacer"), cancel, save));
  textNode.editor = form;

  const close = () => {
    form.replaceWith(textNode);
    menuButton.focus();
  };
  cancel.addEventListener("click", close);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Only what changed is sent: a PATCH with the same text would add a version to the history.
    const body = {};
    if (input.value.trim() !== post.content) body.content = input.value;
    if (visibility.value !== post.visibility) body.visibility = visibility.value;
    if (!Object.keys(body).length) return close();
    errors.replaceChildren();
    save.disabled = true;
    save.setAttribute("aria-busy", "true");
    try {
      const updated = await api(`/posts/${encodeURIComponent(post.id)}`, { method: "PATCH", body });
      replace(updated).querySelector(".more")?.focus();
      toast("Post updated");
    } catch (error) {
      // The API's rule (empty, too long, not yours any more...) in its own words.
      errors.replaceChildren(errorBox(error));
      input.focus();
    } finally {
      save.disabled = false;
      save.removeAttribute("aria-busy");
    }
    return undefined;
  });
  textNode.replaceWith(form);
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

async function deletePost(post, button, replace) {
  if (!confirm("Delete this post? This cannot be undone.")) return;
  await busy(button, async () => {
    await api(`/posts/${encodeURIComponent(post.id)}`, { method: "DELETE" });
    const tombstone = replace({ type: "tombstone", id: post.id, reason: "deleted" });
    tombstone.tabIndex = -1;
    tombstone.focus();
    toast("Post deleted");
  });
}

/** The "edited" marker of an edited post: a button that shows its earlier texts (GET /posts/{id}/history). */
export function editHistory(post) {
  const id = `history-${Math.random().toString(36).slice(2, 8)}`;
  const panel = h("div.post-history", { id, hidden: true });
  const button = h("button.link.small.edited", {
    type: "button", "aria-expanded": "false", "aria-controls": id, "aria-label": "edited, show earlier versions",
  }, "edited");
  let loaded = false;
  button.addEventListener("click", () => busy(button, async () => {
    if (panel.hidden && !loaded) {
      const page = await api(`/posts/${encodeURIComponent(post.id)}/history`);
      const earlier = page.items.filter((version) => version.replaced_at);
      clear(panel,
        h("h3.history-title", {}, "Earlier versions"),
        earlier.length
          ? h("ol.history-list", {}, earlier.map((version) =>
              h("li", {}, h("span.muted", {}, "Replaced ", timeAgo(version.replaced_at)), h("p.post-text", {}, version.content))))
          : h("p.muted", {}, "The text was not changed (only who can see it)."),
        page.next_cursor ? h("p.muted", {}, "Older versions are not shown.") : null);
      loaded = true;
    }
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
  }));
  return { button, panel };
}
