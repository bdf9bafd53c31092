// Cursor-paged lists with infinite scroll: the next page loads when the end of the list comes into view.

import { errorBox, h, spinner } from "./dom.js";

/**
 * pagedList({fetchPage: (cursor) => page, renderItem: (item) => Node, empty: "text"}) -> {element, reload, prepend}.
 * `fetchPage` answers {items, next_cursor}; `renderItem` may return null to skip an item.
 */
export function pagedList({ fetchPage, renderItem, empty, label }) {
  const list = h("div.list", { role: "feed", "aria-label": label, "aria-busy": "false" });
  const status = h("div.list-status");
  const sentinel = h("div.sentinel", { "aria-hidden": "true" });
  const element = h("div.paged", {}, list, status, sentinel);
  let cursor = null;
  let done = false;
  let loading = false;
  let generation = 0;

  async function loadMore() {
    if (loading || done) return;
    loading = true;
    const mine = generation;
    list.setAttribute("aria-busy", "true");
    status.replaceChildren(spinner());
    try {
      const page = await fetchPage(cursor);
      if (mine !== generation) return;
      for (const item of page.items) {
        const node = renderItem(item);
        if (node) list.append(node);
      }
      cursor = page.next_cursor;
      done = !cursor;
      status.replaceChildren();
      if (done && !list.children.length && empty) status.replaceChildren(h("p.empty", {}, empty));
    } catch (error) {
      if (mine !== generation) return;
      done = true;
      status.replaceChildren(errorBox(error), h("button.link", { type: "button", onclick: retry }, "Try again"));
    } finally {
      if (mine === generation) {
        loading = false;
        list.setAttribute("aria-busy", "false");
        if (!done && isNearViewport(sentinel)) loadMore();
      }
    }
  }

  function retry() {
    done = false;
    loadMore();
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore();
  }, { rootMargin: "600px" });
  observer.observe(sentinel);

  return {
    element,
    list,
    reload() {
      generation += 1;
      cursor = null;
      done = false;
      loading = false;
      list.replaceChildren();
      return loadMore();
    },
    prepend(item) {
      const node = renderItem(item);
      if (node) list.prepend(node);
      status.querySelector(".empty")?.remove();
    },
    start: loadMore,
    disconnect: () => observer.disconnect(),
  };
}

function isNearViewport(element) {
  return element.isConnected && element.getBoundingClientRect().top < window.innerHeight + 600;
}
