// Explore (what is moving now), trending hashtags, search, hashtag pages and bookmarks.

import { api } from "../api.js";
import { avatar, displayName, h, icon } from "../dom.js";
import { pagedList } from "../paging.js";
import { postCard } from "../posts.js";

const SEARCH_TYPES = [["posts", "Posts"], ["users", "People"], ["hashtags", "Hashtags"]];

function searchResult(result) {
  if (result.type === "post") return postCard(result);
  if (result.type === "user") {
    return h("a.person-row", { href: `#/@${encodeURIComponent(result.username)}` }, avatar(result),
      h("span.person-name", {}, displayName(result)), h("span.handle", {}, `@${result.username}`));
  }
  return h("a.person-row", { href: `#/tags/${encodeURIComponent(result.tag)}` },
    h("span.tag", {}, `#${result.tag}`), h("span.muted", {}, `${result.posts_count} posts`));
}

export function trendingBox() {
  const box = h("section.trending", { "aria-labelledby": "trending-title" }, h("h2", { id: "trending-title" }, "Trending"));
  api("/trends/hashtags", { query: { limit: 8 } })
    .then(({ items }) => {
      if (!items.length) return box.append(h("p.muted", {}, "Nothing is trending yet."));
      box.append(h("ol", {}, items.map((trend) => h("li", {},
        h("a", { href: `#/tags/${encodeURIComponent(trend.tag)}` }, `#${trend.tag}`),
        h("span.muted", {}, `${trend.posts_count} posts · ${trend.authors_count} people`)))));
    })
    .catch(() => box.append(h("p.muted", {}, "Trends are unavailable right now.")));
  return box;
}

export async function exploreView(outlet, { query = "" } = {}) {
  const params = new URLSearchParams(query);
  const q = params.get("q") || "";
  const type = params.get("type") || "posts";
  const input = h("input", { type: "search", name: "q", value: q, placeholder: "Search posts, people, #hashtags", id: "search-q" });
  const form = h("form.search", { role: "search" },
    h("label.visually-hidden", { for: "search-q" }, "Search"), icon("search"), input,
    h("button.primary", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    location.hash = text ? `/explore?q=${encodeURIComponent(text)}&type=${type}` : "/explore";
  });
  outlet.append(h("header.page-head", {}, h("h1", {}, q ? "Search" : "Explore"), form));

  let list;
  if (q) {
    outlet.append(h("div.tabs", { role: "tablist", "aria-label": "Result type" }, SEARCH_TYPES.map(([name, label]) =>
      h("a.tab", { role: "tab", "aria-selected": String(name === type), href: `#/explore?q=${encodeURIComponent(q)}&type=${name}` }, label))));
    list = pagedList({
      label: "Search results",
      empty: `Nothing found for “${q}”.`,
      fetchPage: (cursor) => api("/search", { query: { q, type, cursor } }),
      renderItem: searchResult,
    });
  } else {
    outlet.append(trendingBox());
    list = pagedList({
      label: "Explore",
      empty: "Nothing to explore yet: public posts of the last two days appear here.",
      fetchPage: (cursor) => api("/explore", { query: { cursor } }),
      renderItem: (post) => postCard(post),
    });
  }
  outlet.append(list.element);
  await list.start();
  return () => list.disconnect();
}

export async function tagView(outlet, { tag }) {
  const list = pagedList({
    label: `Posts tagged ${tag}`,
    empty: `No posts with #${tag} yet.`,
    fetchPage: (cursor) => api(`/hashtags/${encodeURIComponent(tag)}/posts`, { query: { cursor } }),
    renderItem: (post) => postCard(post),
  });
  outlet.append(h("header.page-head", {}, h("h1", {}, `#${tag}`)), list.element);
  await list.start();
  return () => list.disconnect();
}

export async function bookmarksView(outlet) {
  const list = pagedList({
    label: "Bookmarks",
    empty: "Bookmark posts to read them later.",
    fetchPage: (cursor) => api("/bookmarks", { query: { cursor } }),
    renderItem: (post) => postCard(post),
  });
  outlet.append(h("header.page-head", {}, h("h1", {}, "Bookmarks")), list.element);
  await list.start();
  return () => list.disconnect();
}
