// Chats: the list of conversations and one conversation with live messages, typing and read receipts.

import { api, session } from "../api.js";
import { avatar, busy, displayName, errorBox, h, icon, spinner, submitOnEnter, timeAgo } from "../dom.js";
import { live } from "../live.js";
import { pagedList } from "../paging.js";

const TYPING_SEND_EVERY_MS = 3_000; // the server throttles to one typing event per 3 s anyway
const TYPING_SHOWN_MS = 6_000;
const HISTORY_PAGE = 50;

function chatTitle(chat) {
  if (chat.type === "group") return chat.name || "Group";
  const other = chat.members.find((member) => member.user.id !== session.user.id);
  return displayName(other?.user);
}

function chatAvatar(chat) {
  const other = chat.members.find((member) => member.user.id !== session.user.id);
  return chat.type === "group" ? avatar({ id: chat.id, display_name: chat.name }, "md") : avatar(other?.user, "md");
}

function preview(message) {
  if (!message) return "No messages yet";
  if (message.kind === "system") return systemText(message);
  if (message.deleted) return "Message deleted";
  const who = message.sender?.id === session.user.id ? "You: " : "";
  return who + message.content;
}

function systemText(message) {
  const { action, usernames, name } = message.system || {};
  const people = (usernames || []).map((username) => `@${username}`).join(", ");
  return {
    created: `Chat created${name ? `: ${name}` : ""}`,
    joined: `${people} joined`,
    left: `${people} left`,
    removed: `${people} removed`,
    renamed: `Renamed to ${name}`,
  }[action] || "Chat updated";
}

function chatRow(chat, activeId) {
  return h(`a.chat-row${chat.id === activeId ? ".active" : ""}`, {
    href: `#/chats/${chat.id}`, dataset: { chatId: chat.id }, "aria-current": chat.id === activeId ? "page" : null,
  },
  chatAvatar(chat),
  h("div.chat-row-main", {},
    h("div.chat-row-top", {}, h("strong", {}, chatTitle(chat)), timeAgo(chat.last_activity_at)),
    h("p.chat-preview", {}, preview(chat.last_message))),
  chat.unread_count ? h("span.badge.badge-count", { "aria-label": `${chat.unread_count} unread` }, String(chat.unread_count)) : null);
}

function newChatForm() {
  const errors = h("div");
  const form = h("form.new-chat", { hidden: true, "aria-label": "Start a chat" },
    h("label", { for: "chat-usernames" }, "People (usernames, separated by commas)"),
    h("input", { id: "chat-usernames", name: "usernames", required: true, autocomplete: "off" }),
    h("label", { for: "chat-name" }, "Group name (for groups)"),
    h("input", { id: "chat-name", name: "name", maxLength: 100 }),
    errors,
    h("button.primary", { type: "submit" }, "Start chat"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const values = Object.fromEntries(new FormData(form));
    const usernames = values.usernames.split(/[\s,]+/).map((name) => name.replace(/^@/, "")).filter(Boolean);
    const group = usernames.length > 1 || values.name.trim();
    try {
      const chat = await api("/chats", {
        method: "POST",
        body: group ? { type: "group", usernames, name: values.name.trim() || null } : { type: "direct", usernames },
      });
      location.hash = `/chats/${chat.id}`;
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return form;
}

function chatList(activeId) {
  const list = pagedList({
    label: "Your chats",
    empty: "No chats yet. Start one with the button above.",
    fetchPage: (cursor) => api("/chats", { query: { cursor } }),
    renderItem: (chat) => chatRow(chat, activeId),
  });
  const form = newChatForm();
  const toggle = h("button.secondary", { type: "button", "aria-expanded": "false" }, icon("plus", 16), " New chat");
  toggle.addEventListener("click", () => {
    form.hidden = !form.hidden;
    toggle.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) form.querySelector("input").focus();
  });
  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => list.reload(), 300);
  };
  const offs = ["message", "message_hidden", "read", "chat_member_added", "chat_member_removed", "chat_updated", "refetch"].map((name) => live.on(name, refresh));
  const element = h("aside.chat-list", { "aria-label": "Chats" }, h("div.chat-list-head", {}, h("h1", {}, "Chats"), toggle), form, list.element);
  return { element, start: list.start, stop: () => { offs.forEach((off) => off()); list.disconnect(); clearTimeout(timer); } };
}

export async function chatsView(outlet, { id = null }) {
  const list = chatList(id);
  const pane = h("section.chat-pane", { "aria-label": "Conversation" });
  outlet.append(h("div.chats-layout" + (id ? ".has-chat" : ""), {}, list.element, pane));
  list.start();
  let stopConversation = () => {};
  if (id) stopConversation = await conversation(pane, id);
  else pane.append(h("div.empty-pane", {}, icon("chat", 40), h("p", {}, "Choose a chat, or start a new one.")));
  return () => {
    list.stop();
    stopConversation();
  };
}

async function conversation(pane, chatId) {
  pane.append(spinner());
  let chat;
  let members;
  try {
    [chat, members] = await Promise.all([
      api(`/chats/${chatId}`),
      api(`/chats/${chatId}/members`, { query: { limit: 100 } }),
    ]);
  } catch (error) {
    pane.replaceChildren(errorBox(error));
    return () => {};
  }
  const readSeq = new Map(members.items.map((member) => [member.user.id, member.last_read_seq]));
  const names = new Map(members.items.map((member) => [member.user.id, displayName(member.user)]));
  const messages = h("ol.messages", { "aria-label": `Messages with ${chatTitle(chat)}`, "aria-live": "polite" });
  const scroller = h("div.message-scroller", {}, messages);
  const typingLine = h("p.typing", { "aria-live": "polite" });
  const receipt = h("p.receipt");
  const rendered = new Map();
  let olderCursor = null;
  let lastSeq = 0;
  let lastId = null;

  const earlier = h("button.link.load-earlier", { type: "button", hidden: true }, "Load earlier messages");
  earlier.addEventListener("click", () => busy(earlier, () => loadPage(olderCursor, true)));
  messages.before(earlier);

  function messageNode(message) {
    if (message.kind === "system") return h("li.message.system", { dataset: { id: message.id, seq: message.seq } }, systemText(message));
    const mine = message.sender?.id === session.user.id;
    return h(`li.message${mine ? ".mine" : ""}${message.deleted ? ".deleted" : ""}`, { dataset: { id: message.id, seq: message.seq } },
      !mine && chat.type === "group" ? h("span.sender", {}, displayName(message.sender)) : null,
      h("div.bubble", {}, message.deleted ? "Message deleted" : message.content),
      h("span.message-time", {}, timeAgo(message.created_at), message.edited_at ? " · edited" : ""));
  }

  function upsert(message, { older = false } = {}) {
    const node = messageNode(message);
    const existing = rendered.get(message.id);
    if (existing) existing.replaceWith(node);
    else if (older) messages.prepend(node);
    else messages.append(node);
    rendered.set(message.id, node);
    if (message.seq > lastSeq) {
      lastSeq = message.seq;
      lastId = message.id;
    }
  }

  function paintReceipt() {
    const mineLast = [...messages.querySelectorAll("li.message.mine")].pop();
    if (!mineLast) return receipt.replaceChildren();
    const seq = Number(mineLast.dataset.seq);
    const readers = [...readSeq.entries()].filter(([userId, read]) => userId !== session.user.id && read >= seq);
    let text = "Sent";
    if (chat.type === "direct" && readers.length) text = "Seen";
    else if (readers.length) text = `Seen by ${readers.map(([userId]) => names.get(userId) || "someone").join(", ")}`;
    receipt.textContent = text;
    mineLast.append(receipt);
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  const scrollToEnd = () => { scroller.scrollTop = scroller.scrollHeight; };

  async function loadPage(cursor, older) {
    const page = await api(`/chats/${chatId}/messages`, { query: { cursor, limit: HISTORY_PAGE } });
    const before = scroller.scrollHeight;
    for (const message of older ? page.items : [...page.items].reverse()) {
      upsert(message, { older });
    }
    olderCursor = page.next_cursor;
    earlier.hidden = !olderCursor;
    if (older) scroller.scrollTop += scroller.scrollHeight - before;
    paintReceipt();
  }

  async function markRead() {
    if (!lastId || document.hidden || (readSeq.get(session.user.id) ?? 0) >= lastSeq) return;
    readSeq.set(session.user.id, lastSeq);
    await api(`/chats/${chatId}/read`, { method: "POST", body: { up_to_id: lastId } }).catch(() => {});
  }

  // Typing: tell the others at most every few seconds while keys are pressed, and "stopped" on send or blur.
  let lastTypingSent = 0;
  const sendTyping = (typing) => api(`/chats/${chatId}/typing`, { method: "POST", body: { typing } }).catch(() => {});
  const typingTimers = new Map();
  function showTyping(userId, typing) {
    clearTimeout(typingTimers.get(userId));
    if (typing) typingTimers.set(userId, setTimeout(() => showTyping(userId, false), TYPING_SHOWN_MS));
    else typingTimers.delete(userId);
    const who = [...typingTimers.keys()].map((id) => names.get(id) || "Someone");
    typingLine.textContent = who.length ? `${who.join(", ")} ${who.length === 1 ? "is" : "are"} typing…` : "";
  }

  const input = h("textarea", { id: "message-input", rows: 1, placeholder: "Write a message", required: true, maxLength: 2000 });
  const errors = h("div");
  const form = h("form.message-form", { "aria-label": "Send a message" },
    h("label.visually-hidden", { for: "message-input" }, "Message"), input,
    h("button.primary.icon-only", { type: "submit", "aria-label": "Send" }, icon("send")));
  input.addEventListener("input", () => {
    if (input.value && Date.now() - lastTypingSent > TYPING_SEND_EVERY_MS) {
      lastTypingSent = Date.now();
      sendTyping(true);
    }
  });
  input.addEventListener("blur", () => {
    if (lastTypingSent) sendTyping(false);
    lastTypingSent = 0;
  });
  submitOnEnter(input, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    errors.replaceChildren();
    try {
      const message = await api(`/chats/${chatId}/messages`, {
        method: "POST", body: { content }, headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      input.value = "";
      lastTypingSent = 0;
      upsert(message);
      readSeq.set(session.user.id, Math.max(readSeq.get(session.user.id) ?? 0, message.seq));
      paintReceipt();
      scrollToEnd();
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });

  const back = h("a.icon-button.back", { href: "#/chats", "aria-label": "All chats" }, icon("back"));
  pane.replaceChildren(
    h("header.chat-head", {}, back, chatAvatar(chat), h("div", {}, h("h2", {}, chatTitle(chat)),
      h("p.muted", {}, chat.type === "group" ? `${chat.member_count} members` : "Direct message"))),
    scroller, typingLine, errors, form);

  const ours = (data) => data.chat_id === chatId || data.conversation_id === chatId;
  const offs = [
    live.on("message", (data) => {
      if (!ours(data)) return;
      const follow = nearBottom();
      upsert(data.message);
      if (data.message.sender) showTyping(data.message.sender.id, false);
      paintReceipt();
      if (follow || data.message.sender?.id === session.user.id) scrollToEnd();
      markRead();
    }),
    live.on("message_edited", (data) => ours(data) && upsert(data.message)),
    live.on("message_deleted", (data) => {
      if (!ours(data)) return;
      const node = rendered.get(data.message_id);
      if (node) {
        node.classList.add("deleted");
        node.querySelector(".bubble").textContent = "Message deleted";
      }
    }),
    live.on("message_hidden", (data) => {  // held for moderation after it was delivered: it is not ours to see
      if (!ours(data)) return;
      rendered.get(data.message_id)?.remove();
      rendered.delete(data.message_id);
    }),
    live.on("read", (data) => {
      if (!ours(data)) return;
      readSeq.set(data.user_id, Math.max(readSeq.get(data.user_id) ?? 0, data.up_to_seq));
      paintReceipt();
    }),
    live.on("typing", (data) => ours(data) && data.user_id !== session.user.id && showTyping(data.user_id, data.typing)),
    live.on("refetch", () => loadPage(null, false)),
  ];
  const onVisible = () => markRead();
  document.addEventListener("visibilitychange", onVisible);

  await loadPage(null, false).catch((error) => errors.replaceChildren(errorBox(error)));
  scrollToEnd();
  markRead();
  input.focus();
  return () => {
    offs.forEach((off) => off());
    document.removeEventListener("visibilitychange", onVisible);
    typingTimers.forEach((timer) => clearTimeout(timer));
    if (lastTypingSent) sendTyping(false);
  };
}
