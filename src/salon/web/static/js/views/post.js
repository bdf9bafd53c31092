// Post detail: the thread around a post (ancestors, the post, replies) and a reply composer.

import { api } from "../api.js";
import { errorBox, h, spinner } from "../dom.js";
import { composer } from "../compose.js";
import { postCard } from "../posts.js";

export async function postView(outlet, { id }) {
  outlet.append(h("header.page-head", {}, h("h1", {}, "Post")), spinner());
  let context;
  try {
    context = await api(`/posts/${encodeURIComponent(id)}/context`);
  } catch (error) {
    outlet.lastChild.replaceWith(errorBox(error));
    return;
  }
  const replies = h("div.list.thread-replies", { "aria-label": "Replies" });
  const depth = new Map([[context.post.id, 0]]);
  const addReply = (post) => {
    const level = (depth.get(post.reply_to_id) ?? 0) + 1;
    depth.set(post.id, level);
    const card = postCard(post, { showParent: false });
    card.style.setProperty("--depth", Math.min(level - 1, 4));
    card.classList.add("reply");
    replies.append(card);
  };
  context.descendants.forEach(addReply);
  let cursor = context.next_cursor;
  const more = h("button.link", { type: "button", hidden: !cursor }, "Show more replies");
  more.addEventListener("click", async () => {
    const page = await api(`/posts/${encodeURIComponent(id)}/context`, { query: { cursor } }).catch((error) => {
      more.after(errorBox(error));
      return null;
    });
    if (!page) return;
    page.descendants.forEach(addReply);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  });

  outlet.lastChild.replaceWith(
    h("div.thread", {},
      h("div.ancestors", {}, context.ancestors.map((post) => postCard(post, { showParent: false }))),
      postCard(context.post, { focus: true, showParent: false }),
      composer({ replyTo: context.post, onPosted: addReply }),
      replies,
      more),
  );
}
