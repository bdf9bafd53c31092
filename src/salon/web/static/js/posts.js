// Post cards: rich text from entities, media, the like / repost / quote / bookmark / reply actions, and a "More actions"
// menu (edit / delete your own post, report someone else's; post-tools.js).

import { api } from "./api.js";
import { avatar, busy, displayName, formatCount, h, icon, timeAgo } from "./dom.js";
import { openComposer } from "./compose.js";
import { editHistory, postMenu } from "./post-tools.js";

const VISIBILITY_LABELS = { public: "Public", followers: "Followers", friends: "Friends", private: "Only me" };
const mediaCache = new Map();

/** Media JSON by id, fetched once per page load (signed URLs stay valid for their window). */
export function mediaInfo(id) {
  if (!mediaCache.has(id)) mediaCache.set(id, api(`/media/${encodeURIComponent(id)}`).catch(() => null));
  return mediaCache.get(id);
}

/** Content with #hashtags and @mentions as links. Entity offsets are code points; JS strings are UTF-16. */
export function richText(content, entities) {
  const codePoints = Array.from(content || "");
  const spans = [
    ...(entities?.hashtags || []).map((tag) => ({ ...tag, href: `#/tags/${encodeURIComponent(tag.tag)}` })),
    ...(entities?.mentions || []).map((mention) => ({ ...mention, href: `#/@${encodeURIComponent(mention.username)}` })),
  ].sort((a, b) => a.start - b.start);
  const parts = [];
  let position = 0;
  for (const span of spans) {
    if (span.start < position) continue;
    parts.push(codePoints.slice(position, span.start).join(""));
    parts.push(h("a.entity", { href: span.href }, codePoints.slice(span.start, span.end).join("")));
    position = span.end;
  }
  parts.push(codePoints.slice(position).join(""));
  return h("p.post-text", {}, parts);
}

function mediaGrid(ids) {
  if (!ids?.length) return null;
  const grid = h(`div.media-grid.media-${Math.min(ids.length, 4)}`);
  for (const id of ids) {
    const slot = h("div.media-slot");
    grid.append(slot);
    mediaInfo(id).then((media) => {
      if (!media?.url) return slot.append(h("span.media-missing", {}, "Image unavailable"));
      slot.append(h("a", { href: media.url, target: "_blank", rel: "noopener" },
        h("img", { src: media.thumbnail_url || media.url, alt: media.alt || "", loading: "lazy" })));
    });
  }
  return grid;
}

function authorLine(post, { link = true, edited = null } = {}) {
  const author = post.author;
  return h("div.post-meta", {},
    h("a.author", { href: `#/@${encodeURIComponent(author.username)}` },
      h("strong", {}, displayName(author)), " ", h("span.handle", {}, `@${author.username}`)),
    h("span.dot", { "aria-hidden": "true" }, "·"),
    link ? h("a.post-time", { href: `#/posts/${post.id}` }, timeAgo(post.created_at)) : timeAgo(post.created_at),
    post.visibility !== "public" ? h("span.badge", {}, VISIBILITY_LABELS[post.visibility] || post.visibility) : null,
    edited,
  );
}

/** A quoted or parent post, small, or its tombstone. */
export function embeddedPost(post) {
  if (!post) return null;
  if (post.type === "tombstone") {
    return h("div.embedded.tombstone", {}, post.reason === "deleted" ? "This post was deleted." : "This post is unavailable.");
  }
  return h("a.embedded", { href: `#/posts/${post.id}` },
    h("div.post-meta", {}, h("strong", {}, displayName(post.author)), " ", h("span.handle", {}, `@${post.author.username}`)),
    h("p.post-text", {}, post.content));
}

function toggleButton({ label, activeLabel, iconName, active, count, onToggle, kind }) {
  const countLabel = h("span.count");
  const button = h(`button.action.action-${kind}`, { type: "button" }, icon(iconName, 18), countLabel);
  let state = { active, count };
  const paint = () => {
    button.classList.toggle("active", state.active);
    button.setAttribute("aria-pressed", String(state.active));
    button.setAttribute("aria-label", `${state.active ? activeLabel : label}${state.count !== undefined ? ` (${state.count})` : ""}`);
    countLabel.textContent = state.count ? formatCount(state.count) : "";
  };
  button.addEventListener("click", () =>
    busy(button, async () => {
      state = await onToggle(!state.active, state);
      paint();
    }),
  );
  paint();
  return button;
}

function actions(post, menu) {
  const path = `/posts/${post.id}`;
  const method = (on) => (on ? "POST" : "DELETE");
  return h("div.post-actions", {},
    h("a.action", { href: `#/posts/${post.id}`, "aria-label": `Reply (${post.reply_count})` },
      icon("reply", 18), h("span.count", {}, post.reply_count ? formatCount(post.reply_count) : "")),
    post.visibility === "public"
      ? toggleButton({
          kind: "repost", label: "Repost", activeLabel: "Undo repost", iconName: "repost",
          active: post.viewer.reposted, count: post.repost_count,
          onToggle: async (on) => {
            const body = await api(`${path}/repost`, { method: method(on) });
            return { active: body.reposted, count: body.repost_count };
          },
        })
      : null,
    h("button.action", { type: "button", "aria-label": "Quote", onclick: () => openComposer({ quote: post }) },
      icon("quote", 18)),
    toggleButton({
      kind: "like", label: "Like", activeLabel: "Unlike", iconName: "heart",
      active: post.viewer.liked, count: post.like_count,
      onToggle: async (on) => {
        const body = await api(`${path}/like`, { method: method(on) });
        return { active: body.liked, count: body.like_count };
      },
    }),
    toggleButton({
      kind: "bookmark", label: "Bookmark", activeLabel: "Remove bookmark", iconName: "bookmark",
      active: post.viewer.bookmarked,
      onToggle: async (on) => {
        const body = await api(`${path}/bookmark`, { method: method(on) });
        return { active: body.bookmarked };
      },
    }),
    menu,
  );
}

/** A post in a list. `context` is a line above it ("Alice reposted"); `focus` renders it large (post detail). */
export function postCard(post, options = {}) {
  const { context, focus = false, showParent = true } = options;
  if (!post || post.type === "tombstone") return embeddedPost(post);
  const text = richText(post.content, post.entities);
  const history = post.edited_at ? editHistory(post) : null;
  const card = h(`article.post${focus ? ".post-focus" : ""}`, { "aria-label": `Post by ${displayName(post.author)}`, dataset: { postId: post.id } },
    context ? h("div.post-context", {}, icon("repost", 14), context) : null,
    h("div.post-body", {},
      avatar(post.author),
      h("div.post-main", {},
        authorLine(post, { edited: history?.button }),
        showParent && post.reply_to ? h("div.replying", {}, "Replying to ", embeddedPost(post.reply_to)) : null,
        text,
        history?.panel,
        post.kind === "conversation" ? h("span.badge", {}, "AI conversation") : null,
        mediaGrid(post.media_ids),
        post.quote_of ? embeddedPost(post.quote_of) : null,
        post.moderation_notice ? h("p.notice", {}, post.moderation_notice) : null,
        actions(post, postMenu(post, { textNode: text, replace })),
      ),
    ),
  );

  // After an edit or a delete: the same card options, and the place in a thread (class "reply", --depth) kept.
  function replace(next) {
    const fresh = postCard(next, options);
    fresh.style.cssText = card.style.cssText;
    if (card.classList.contains("reply")) fresh.classList.add("reply");
    card.replaceWith(fresh);
    return fresh;
  }
  return card;
}
