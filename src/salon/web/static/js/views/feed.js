// The home feed: algorithm switch, composer, infinite scroll, and a "new posts" pill when the feed's head changes.

import { api } from "../api.js";
import { h } from "../dom.js";
import { composer } from "../compose.js";
import { pagedList } from "../paging.js";
import { postCard } from "../posts.js";

const ALGORITHMS = [
  ["ranked", "For you"],
  ["chronological", "Latest"],
  ["engagement", "Popular"],
];
// The feed package announces nothing on the event stream (docs/api.md), so the head of the feed is re-read while the
// page is visible. The same algorithm as shown is passed, so polling never changes the remembered choice.
const HEAD_CHECK_MS = 10_000;

export function feedItem(item) {
  const context = item.reason === "repost" && item.reposted_by
    ? `${item.reposted_by.display_name || item.reposted_by.username} reposted`
    : null;
  return postCard(item.post, { context });
}

export async function feedView(outlet) {
  let algorithm = null;
  const seen = new Set();
  const tabs = h("div.tabs", { role: "tablist", "aria-label": "Feed order" });
  const newPosts = h("button.new-posts", { type: "button", hidden: true }, "");

  const list = pagedList({
    label: "Home feed",
    empty: "Your feed is empty. Follow people from Explore, or write your first post.",
    fetchPage: async (cursor) => {
      const page = await api("/feed", { query: { algorithm, cursor } });
      algorithm = page.algorithm;
      paintTabs();
      return { ...page, items: page.items.filter((item) => !seen.has(item.post.id) && seen.add(item.post.id)) };
    },
    renderItem: feedItem,
  });

  function paintTabs() {
    tabs.replaceChildren(...ALGORITHMS.map(([name, label]) =>
      h("button.tab", {
        type: "button", role: "tab", "aria-selected": String(name === algorithm),
        onclick: () => {
          if (name === algorithm) return;
          algorithm = name;
          reload();
        },
      }, label)));
  }

  function reload() {
    seen.clear();
    newPosts.hidden = true;
    paintTabs();
    return list.reload();
  }

  async function checkHead() {
    if (document.hidden || !algorithm) return;
    try {
      const page = await api("/feed", { query: { algorithm, limit: 10 } });
      const fresh = page.items.filter((item) => !seen.has(item.post.id));
      if (fresh.length) {
        newPosts.textContent = fresh.length === 1 ? "1 new post" : `${fresh.length} new posts`;
        newPosts.hidden = false;
      }
    } catch {
      // The next check tries again; reading the feed shows its own errors.
    }
  }
  newPosts.addEventListener("click", () => {
    reload();
    window.scrollTo({ top: 0, behavior: "smooth" });
  });

  const onPosted = () => reload();
  document.addEventListener("salon:posted", onPosted);
  const timer = setInterval(checkHead, HEAD_CHECK_MS);
  const onVisible = () => !document.hidden && checkHead();
  document.addEventListener("visibilitychange", onVisible);

  outlet.append(
    h("header.page-head", {}, h("h1", {}, "Home"), tabs),
    composer({ onPosted }),
    newPosts,
    list.element,
  );
  paintTabs();
  await list.start();
  return () => {
    clearInterval(timer);
    list.disconnect();
    document.removeEventListener("salon:posted", onPosted);
    document.removeEventListener("visibilitychange", onVisible);
  };
}
