// AI conversations: token-by-token replies over a POST event stream, stop, re-attach after a reload, fork,
// summaries and publishing a conversation as a post.

import { api } from "../api.js";
import { busy, errorBox, h, icon, spinner, submitOnEnter, timeAgo, toast } from "../dom.js";
import { live } from "../live.js";
import { pagedList } from "../paging.js";
import { readEventStream } from "../sse.js";

const HISTORY_PAGES = 10;

function conversationRow(conversation, activeId) {
  return h(`a.chat-row${conversation.id === activeId ? ".active" : ""}`, {
    href: `#/ai/${conversation.id}`, dataset: { conversationId: conversation.id },
    "aria-current": conversation.id === activeId ? "page" : null,
  },
  h("span.avatar.avatar-md.ai-avatar", { "aria-hidden": "true" }, icon("spark", 18)),
  h("div.chat-row-main", {},
    h("div.chat-row-top", {}, h("strong.conversation-title", {}, conversation.title || "New conversation"), timeAgo(conversation.updated_at)),
    h("p.chat-preview", {}, `${conversation.message_count} messages${conversation.generating_message_id ? " · replying…" : ""}`)));
}

function conversationList(activeId) {
  const list = pagedList({
    label: "Your AI conversations",
    empty: "No conversations yet.",
    fetchPage: (cursor) => api("/ai/conversations", { query: { cursor } }),
    renderItem: (conversation) => conversationRow(conversation, activeId),
  });
  const start = h("button.primary", { type: "button", "aria-label": "New conversation" }, icon("plus", 16), " New");
  start.addEventListener("click", () => busy(start, async () => {
    const conversation = await api("/ai/conversations", { method: "POST", body: { kind: "chat" } });
    location.hash = `/ai/${conversation.id}`;
  }));
  const off = live.on("ai.conversation_titled", ({ conversation_id: id, title }) => {
    document.querySelectorAll(`[data-conversation-id="${CSS.escape(id)}"] .conversation-title, .ai-title[data-id="${CSS.escape(id)}"]`)
      .forEach((node) => { node.textContent = title; });
  });
  return {
    element: h("aside.chat-list", { "aria-label": "AI conversations" }, h("div.chat-list-head", {}, h("h1", {}, "AI"), start), list.element),
    start: list.start,
    reload: list.reload,
    stop: () => { off(); list.disconnect(); },
  };
}

export async function aiView(outlet, { id = null }) {
  const list = conversationList(id);
  const pane = h("section.chat-pane", { "aria-label": "AI conversation" });
  outlet.append(h("div.chats-layout" + (id ? ".has-chat" : ""), {}, list.element, pane));
  list.start();
  let stop = () => {};
  if (id) stop = await conversationPane(pane, id, list);
  else pane.append(h("div.empty-pane", {}, icon("spark", 40), h("p", {}, "Start a conversation with the model. Replies stream as they are written, survive a reload, and can be forked, summarised and published.")));
  return () => {
    list.stop();
    stop();
  };
}

async function loadHistory(conversationId) {
  const messages = [];
  let cursor = null;
  for (let page = 0; page < HISTORY_PAGES; page += 1) {
    const result = await api(`/ai/conversations/${conversationId}/messages`, { query: { cursor, limit: 100 } });
    messages.push(...result.items);
    cursor = result.next_cursor;
    if (!cursor) break;
  }
  return messages;
}

async function conversationPane(pane, conversationId, list) {
  pane.append(spinner());
  let conversation;
  let history;
  try {
    [conversation, history] = await Promise.all([api(`/ai/conversations/${conversationId}`), loadHistory(conversationId)]);
  } catch (error) {
    pane.replaceChildren(errorBox(error));
    return () => {};
  }
  const messages = h("ol.messages.ai-messages", { "aria-label": "Conversation" });
  const scroller = h("div.message-scroller", {}, messages);
  const summaryBox = h("div.summary-box");
  const errors = h("div");
  const nodes = new Map();
  let controller = null; // aborts reading the current stream when leaving the page
  let generatingId = null;

  function bubble(message) {
    const text = h("div.bubble", {}, message.content);
    const status = h("p.message-status");
    const tools = h("div.message-tools");
    const node = h(`li.message.${message.role === "user" ? "mine" : "model"}`, { dataset: { id: message.id } },
      message.role === "model" ? h("span.sender", {}, icon("spark", 14), " salon AI") : null, text, status, tools);
    const view = { node, text, status, tools, message };
    nodes.set(message.id, view);
    paint(view, message);
    return view;
  }

  function paint(view, message) {
    view.message = message;
    view.text.textContent = message.content;
    view.node.classList.toggle("streaming", message.status === "streaming");
    view.status.textContent = message.status === "stopped" ? "Stopped" : message.status === "failed"
      ? (message.error?.detail || "The reply failed.") : "";
    view.status.classList.toggle("failed", message.status === "failed");
    view.tools.replaceChildren();
    if (message.role === "model" && message.status !== "streaming") {
      const fork = h("button.link.small", { type: "button", title: "Start a new conversation from this point" }, icon("fork", 14), " Fork from here");
      fork.addEventListener("click", () => busy(fork, async () => {
        const copy = await api(`/ai/conversations/${conversationId}/fork`, { method: "POST", body: { message_id: message.id } });
        toast("Forked into a new conversation");
        location.hash = `/ai/${copy.id}`;
      }));
      view.tools.append(fork);
    }
  }

  function show(message) {
    const view = nodes.get(message.id);
    messages.querySelector(".intro")?.remove();
    if (view) paint(view, message);
    else messages.append(bubble(message).node);
    scroller.scrollTop = scroller.scrollHeight;
    return nodes.get(message.id);
  }

  /** Apply the frames of a reply stream (a fresh reply or a re-attach) to the page. */
  async function follow(response, replyId) {
    let reply = replyId ? nodes.get(replyId) : null;
    let nextIndex = 0;
    setGenerating(replyId);
    try {
      for await (const frame of readEventStream(response)) {
        const data = frame.data;
        if (frame.event === "ai_start") {
          show(data.user_message);
          reply = show({ id: data.ai_message_id, role: "model", content: "", status: "streaming" });
          setGenerating(data.ai_message_id);
        } else if (frame.event === "ai_chunk" && reply) {
          if (data.index < nextIndex) continue; // already shown (a re-attach replays from the start)
          if (data.index === 0) reply.text.textContent = "";
          reply.text.textContent += data.delta;
          nextIndex = data.index + 1;
          scroller.scrollTop = scroller.scrollHeight;
        } else if (frame.event === "ai_complete") {
          reply = show(data.message);
        } else if (frame.event === "error" && reply) {
          paint(reply, { ...reply.message, content: reply.text.textContent, status: "failed", error: data });
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") errors.replaceChildren(errorBox(error));
    } finally {
      setGenerating(null);
    }
  }

  async function reattach(messageId) {
    controller = new AbortController();
    try {
      const response = await api(`/ai/conversations/${conversationId}/messages/${messageId}/stream`, { stream: true, signal: controller.signal });
      await follow(response, messageId);
    } catch (error) {
      if (error.name !== "AbortError") errors.replaceChildren(errorBox(error));
    }
  }

  const input = h("textarea", { id: "ai-input", rows: 2, required: true, placeholder: "Ask anything", maxLength: 20000 });
  const send = h("button.primary.icon-only", { type: "submit", "aria-label": "Send" }, icon("send"));
  const stop = h("button.danger.icon-only", { type: "button", "aria-label": "Stop the reply", hidden: true }, icon("stop"));
  stop.addEventListener("click", () => busy(stop, async () => {
    if (generatingId) await api(`/ai/conversations/${conversationId}/messages/${generatingId}/stop`, { method: "POST" });
  }));
  const form = h("form.message-form", { "aria-label": "Message the model" },
    h("label.visually-hidden", { for: "ai-input" }, "Message"), input, send, stop);
  submitOnEnter(input, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = input.value.trim();
    if (!content || generatingId) return;
    errors.replaceChildren();
    controller = new AbortController();
    setGenerating("pending");
    try {
      const response = await api(`/ai/conversations/${conversationId}/messages`, {
        method: "POST", body: { content }, stream: true, signal: controller.signal,
      });
      input.value = "";
      await follow(response, null);
      list.reload();
    } catch (error) {
      setGenerating(null);
      if (error.name !== "AbortError") errors.replaceChildren(errorBox(error));
    }
  });

  function setGenerating(messageId) {
    generatingId = messageId;
    send.hidden = Boolean(messageId);
    stop.hidden = !messageId || messageId === "pending";
    pane.setAttribute("aria-busy", String(Boolean(messageId)));
  }

  const title = h("h2.ai-title", { dataset: { id: conversation.id } }, conversation.title || "New conversation");
  const summarize = h("button.secondary", { type: "button" }, "Summarize");
  summarize.addEventListener("click", () => busy(summarize, async () => {
    showSummary(await api(`/ai/conversations/${conversationId}/summaries`, { method: "POST" }));
  }));
  let latestSummary = null;
  function showSummary(summary) {
    latestSummary = summary;
    summaryBox.replaceChildren(h("details.summary", { open: true },
      h("summary", {}, "Summary"), h("p", {}, summary.content), h("p.muted", {}, timeAgo(summary.created_at))));
  }
  const publish = h("button.secondary", { type: "button" }, "Publish");
  publish.addEventListener("click", () => openPublishDialog(conversationId, () => latestSummary));

  pane.replaceChildren(
    h("header.chat-head", {}, h("a.icon-button.back", { href: "#/ai", "aria-label": "All AI conversations" }, icon("back")),
      h("span.avatar.avatar-md.ai-avatar", { "aria-hidden": "true" }, icon("spark", 18)),
      h("div.grow", {}, title, conversation.forked_from ? h("p.muted", {}, "Forked conversation") : h("p.muted", {}, "Private to you")),
      summarize, publish),
    summaryBox, scroller, errors, form);

  for (const message of history) messages.append(bubble(message).node);
  if (!history.length) messages.append(h("li.empty-pane.intro", {}, "Say hello. Replies appear word by word."));
  api(`/ai/conversations/${conversationId}/summaries`, { query: { limit: 1 } })
    .then((page) => page.items[0] && showSummary(page.items[0]))
    .catch(() => {});
  scroller.scrollTop = scroller.scrollHeight;
  if (conversation.generating_message_id) reattach(conversation.generating_message_id);
  input.focus();
  return () => controller?.abort();
}

function openPublishDialog(conversationId, latestSummary) {
  const summary = latestSummary();
  const errors = h("div");
  const form = h("form.publish-form", { method: "dialog" },
    h("label", { for: "publish-caption" }, "Caption"),
    h("textarea", { id: "publish-caption", name: "caption", rows: 3, placeholder: "Why is this conversation worth reading?" }),
    h("label", { for: "publish-visibility" }, "Who can see it"),
    h("select", { id: "publish-visibility", name: "visibility" },
      h("option", { value: "public" }, "Everyone"), h("option", { value: "followers" }, "Followers"),
      h("option", { value: "friends" }, "Friends"), h("option", { value: "private" }, "Only me")),
    summary ? h("label.checkbox", {}, h("input", { type: "checkbox", name: "use_summary", checked: true }), " Preview it with the latest summary") : null,
    h("p.hint", {}, "A snapshot is published: later messages in this conversation stay private."),
    errors,
    h("div.dialog-actions", {}, h("button.secondary", { type: "button", value: "cancel", onclick: () => dialog.close() }, "Cancel"),
      h("button.primary", { type: "submit" }, "Publish")));
  const dialog = h("dialog.modal", { "aria-label": "Publish conversation" }, h("div.modal-head", {}, h("h2", {}, "Publish conversation")), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const body = { visibility: values.visibility };
    if (values.caption.trim()) body.caption = values.caption.trim();
    if (summary && values.use_summary) body.summary_id = summary.id;
    try {
      const published = await api(`/ai/conversations/${conversationId}/publish`, { method: "POST", body });
      dialog.close();
      toast("Published");
      location.hash = `/posts/${published.post.id}`;
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
