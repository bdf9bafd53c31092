// Notifications: grouped activity, newest first; opening the page moves the read marker (every device's badge clears).

import { api } from "../api.js";
import { avatar, displayName, h, icon, timeAgo } from "../dom.js";
import { live } from "../live.js";
import { pagedList } from "../paging.js";

const PHRASES = {
  like: ["heart", "liked your post"],
  repost: ["repost", "reposted your post"],
  reply: ["reply", "replied to your post"],
  quote: ["quote", "quoted your post"],
  mention: ["user", "mentioned you"],
  follow: ["user", "followed you"],
  friend_request: ["user", "sent you a friend request"],
  friend_accept: ["user", "accepted your friend request"],
};

function actorsText(notification) {
  const [first, second] = notification.actors;
  const others = notification.actor_count - notification.actors.length;
  const names = [displayName(first), second ? displayName(second) : null].filter(Boolean);
  if (others > 0) return `${names.join(", ")} and ${others} other${others === 1 ? "" : "s"}`;
  return names.join(" and ");
}

function target(notification) {
  if (notification.post_id) return `#/posts/${notification.post_id}`;
  if (notification.type.startsWith("friend")) return "#/friends";
  return notification.actors[0] ? `#/@${notification.actors[0].username}` : "#/notifications";
}

export function notificationItem(notification) {
  const [iconName, phrase] = PHRASES[notification.type] || ["bell", notification.type];
  return h(`a.notification${notification.read ? "" : ".unread"}`, { href: target(notification), dataset: { groupKey: notification.group_key } },
    h(`span.notification-icon.type-${notification.type}`, {}, icon(iconName, 18)),
    h("div.notification-body", {},
      h("div.avatars", {}, notification.actors.map((actor) => avatar(actor, "sm"))),
      h("p", {}, h("strong", {}, actorsText(notification)), ` ${phrase}`),
      timeAgo(notification.updated_at || notification.created_at)),
  );
}

export async function notificationsView(outlet) {
  let newest = null;
  const list = pagedList({
    label: "Notifications",
    empty: "Nothing yet. Likes, replies, follows and friend requests show up here.",
    fetchPage: async (cursor) => {
      const page = await api("/notifications", { query: { cursor } });
      if (!cursor && page.items.length) newest = page.items[0];
      return page;
    },
    renderItem: notificationItem,
  });
  const replace = (notification) => {
    list.list.querySelector(`[data-group-key="${CSS.escape(notification.group_key)}"]`)?.remove();
    list.prepend(notification);
  };
  const markRead = async () => {
    if (newest && !newest.read) await api("/notifications/read", { method: "POST", body: { up_to_id: newest.id } });
  };
  const offs = [
    live.on("notification", ({ notification }) => {
      replace(notification);
      newest = notification;
      if (!document.hidden) markRead();
    }),
    live.on("notification.withdrawn", ({ group_key: groupKey }) => {
      list.list.querySelector(`[data-group-key="${CSS.escape(groupKey)}"]`)?.remove();
    }),
    live.on("refetch", () => list.reload()),
  ];
  outlet.append(h("header.page-head", {}, h("h1", {}, "Notifications")), list.element);
  await list.start();
  await markRead().catch(() => {});
  return () => {
    offs.forEach((off) => off());
    list.disconnect();
  };
}

/** Friend requests waiting for an answer. */
export async function friendsView(outlet) {
  const incoming = pagedList({
    label: "Friend requests",
    empty: "No friend requests waiting.",
    fetchPage: (cursor) => api("/friends/requests", { query: { direction: "incoming", cursor } }),
    renderItem: (request) => {
      const row = h("div.person-row", {},
        avatar(request.sender),
        h("a.person-name", { href: `#/@${request.sender.username}` }, displayName(request.sender)),
        h("span.spacer"));
      const answer = (verb) => h(verb === "accept" ? "button.primary" : "button.secondary", {
        type: "button",
        onclick: async () => {
          await api(`/friends/requests/${request.id}/${verb}`, { method: "POST" });
          row.replaceWith(h("p.muted", {}, verb === "accept" ? `You and ${displayName(request.sender)} are friends.` : "Declined."));
        },
      }, verb === "accept" ? "Accept" : "Decline");
      row.append(answer("accept"), answer("decline"));
      return row;
    },
  });
  const friends = pagedList({
    label: "Friends",
    empty: "No friends yet.",
    fetchPage: (cursor) => api("/friends", { query: { cursor } }),
    renderItem: ({ friend }) => h("a.person-row", { href: `#/@${friend.username}` }, avatar(friend),
      h("span.person-name", {}, displayName(friend)), h("span.handle", {}, `@${friend.username}`)),
  });
  outlet.append(h("header.page-head", {}, h("h1", {}, "Friends")),
    h("h2.section-title", {}, "Requests"), incoming.element,
    h("h2.section-title", {}, "Your friends"), friends.element);
  await Promise.all([incoming.start(), friends.start()]);
  return () => {
    incoming.disconnect();
    friends.disconnect();
  };
}
