// Profiles: header with counts, follow and friend buttons, a message button, and the person's posts.

import { api, session } from "../api.js";
import { avatar, busy, displayName, errorBox, formatCount, h, spinner, toast } from "../dom.js";
import { pagedList } from "../paging.js";
import { postCard } from "../posts.js";

// How the viewer stands with this person, in one request (GET /users/{username}/relationship).
async function relationTo(username) {
  const relation = await api(`/users/${encodeURIComponent(username)}/relationship`);
  return {
    following: relation.following,
    friend: relation.friends,
    outgoing: relation.outgoing_friend_request_id ? { id: relation.outgoing_friend_request_id } : null,
    incoming: relation.incoming_friend_request_id ? { id: relation.incoming_friend_request_id } : null,
  };
}

function followButton(profile, relation, followers) {
  const button = h("button.primary", { type: "button" });
  const paint = () => {
    button.textContent = relation.following ? "Following" : "Follow";
    button.classList.toggle("secondary", relation.following);
    button.setAttribute("aria-pressed", String(relation.following));
  };
  button.addEventListener("click", () => busy(button, async () => {
    const body = await api(`/users/${encodeURIComponent(profile.username)}/follow`, {
      method: relation.following ? "DELETE" : "POST",
    });
    relation.following = body.following;
    followers.textContent = formatCount(body.followers_count);
    paint();
  }));
  paint();
  return button;
}

function friendButton(profile, relation) {
  const button = h("button.secondary", { type: "button" });
  const paint = () => {
    button.textContent = relation.friend ? "Friends ✓" : relation.incoming ? "Accept friend request"
      : relation.outgoing ? "Request sent" : "Add friend";
    button.disabled = Boolean(relation.outgoing) && !relation.friend;
  };
  button.addEventListener("click", () => busy(button, async () => {
    if (relation.friend) {
      if (!confirm(`Remove ${displayName(profile)} from your friends?`)) return;
      await api(`/friends/${encodeURIComponent(profile.username)}`, { method: "DELETE" });
      relation.friend = false;
    } else if (relation.incoming) {
      await api(`/friends/requests/${relation.incoming.id}/accept`, { method: "POST" });
      relation.friend = true;
      relation.incoming = null;
    } else {
      const request = await api("/friends/requests", { method: "POST", body: { username: profile.username } });
      if (request.status === "accepted") relation.friend = true;
      else relation.outgoing = request;
    }
    paint();
  }).then(paint));
  paint();
  return button;
}

function messageButton(profile) {
  const button = h("button.secondary", { type: "button" }, "Message");
  button.addEventListener("click", () => busy(button, async () => {
    const chat = await api("/chats", { method: "POST", body: { type: "direct", usernames: [profile.username] } });
    location.hash = `/chats/${chat.id}`;
  }));
  return button;
}

export async function profileView(outlet, { username }) {
  outlet.append(spinner());
  let profile;
  try {
    profile = await api(`/users/${encodeURIComponent(username)}`);
  } catch (error) {
    outlet.replaceChildren(errorBox(error));
    return;
  }
  const isMe = profile.id === session.user.id;
  const followers = h("strong", {}, formatCount(profile.followers_count));
  const buttons = h("div.profile-actions");
  if (!isMe) {
    relationTo(profile.username)
      .then((relation) => buttons.append(
        followButton(profile, relation, followers), friendButton(profile, relation), messageButton(profile)))
      .catch((error) => toast(error.message, "error"));
  }
  const list = pagedList({
    label: `Posts by ${displayName(profile)}`,
    empty: isMe ? "You have not posted yet." : `${displayName(profile)} has not posted yet.`,
    fetchPage: (cursor) => api(`/users/${encodeURIComponent(profile.username)}/posts`, { query: { cursor } }),
    renderItem: (post) => postCard(post),
  });
  outlet.replaceChildren(
    h("section.profile", {},
      h("div.profile-cover", { style: `--hue: ${profile.id.charCodeAt(profile.id.length - 1) * 7 % 360}` }),
      h("div.profile-head", {},
        avatar(profile, "xl"),
        buttons),
      h("h1", {}, displayName(profile)),
      h("p.handle", {}, `@${profile.username}`),
      profile.bio ? h("p.bio", {}, profile.bio) : null,
      profile.moderation_notice ? h("p.notice", {}, profile.moderation_notice) : null,
      h("p.profile-facts", {},
        profile.location ? h("span", {}, profile.location) : null,
        profile.website ? h("a", { href: profile.website, rel: "noopener nofollow", target: "_blank" }, profile.website) : null),
      h("p.profile-counts", {},
        h("span", {}, followers, " followers"),
        h("span", {}, h("strong", {}, formatCount(profile.following_count)), " following"),
        h("span", {}, h("strong", {}, formatCount(profile.posts_count)), " posts"))),
    h("h2.section-title", {}, "Posts"),
    list.element,
  );
  await list.start();
  return () => list.disconnect();
}
