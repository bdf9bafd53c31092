// Profiles: header with counts; follow, friend, message, mute, block and report buttons; and the person's posts.
// Your own profile also lists whom you blocked and muted, with Unblock / Unmute (views/blocked.js).

import { api, session } from "../api.js";
import { blockedAndMuted } from "./blocked.js";
import { avatar, busy, displayName, errorBox, formatCount, h, spinner, toast } from "../dom.js";
import { pagedList } from "../paging.js";
import { postCard } from "../posts.js";
import { openReportDialog } from "../report.js";

// How the viewer stands with this person, in one request (GET /users/{username}/relationship).
async function relationTo(username) {
  const relation = await api(`/users/${encodeURIComponent(username)}/relationship`);
  return {
    following: relation.following,
    friend: relation.friends,
    outgoing: relation.outgoing_friend_request_id ? { id: relation.outgoing_friend_request_id } : null,
    incoming: relation.incoming_friend_request_id ? { id: relation.incoming_friend_request_id } : null,
    blocking: relation.blocking,
    muting: relation.muting,
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

// Mute (POST/DELETE /users/{username}/mute): their posts leave your feeds and notifications; nothing else changes.
function muteButton(profile, relation, onChange) {
  const button = h("button.secondary", { type: "button" });
  const paint = () => {
    button.textContent = relation.muting ? "Unmute" : "Mute";
    button.setAttribute("aria-pressed", String(relation.muting));
  };
  button.addEventListener("click", () => busy(button, async () => {
    const body = await api(`/users/${encodeURIComponent(profile.username)}/mute`, {
      method: relation.muting ? "DELETE" : "POST",
    });
    relation.muting = body.muting;
    paint();
    onChange();
    toast(body.muting ? `Muted @${profile.username}` : `Unmuted @${profile.username}`);
  }));
  paint();
  return button;
}

// Block (POST/DELETE /users/{username}/block): it also ends follows, friendship and friend requests both ways.
function blockButton(profile, relation, onChange) {
  const button = h("button.secondary.danger-text", { type: "button" });
  const paint = () => {
    button.textContent = relation.blocking ? "Unblock" : "Block";
    button.setAttribute("aria-pressed", String(relation.blocking));
  };
  button.addEventListener("click", () => busy(button, async () => {
    if (!relation.blocking && !confirm(`Block @${profile.username}? Neither of you will see the other's posts, `
      + "and follows, friendship and friend requests between you end.")) return;
    const body = await api(`/users/${encodeURIComponent(profile.username)}/block`, {
      method: relation.blocking ? "DELETE" : "POST",
    });
    relation.blocking = body.blocking;
    if (body.blocking) Object.assign(relation, { following: false, friend: false, outgoing: null, incoming: null });
    paint();
    await onChange();
    toast(body.blocking ? `Blocked @${profile.username}` : `Unblocked @${profile.username}`);
    return true;
  }).then((changed) => changed && button.focus())); // the buttons were put back around it (and it was disabled)
  paint();
  return button;
}

function reportButton(profile) {
  return h("button.secondary", {
    type: "button",
    onclick: () => openReportDialog({ subjectType: "user", subjectId: profile.id, title: `Report @${profile.username}` }),
  }, "Report");
}

export async function profileView(outlet, { username }) {
  outlet.append(spinner());
  const itsMe = username.toLowerCase() === session.user.username.toLowerCase();
  // The relationship decides whether the posts are shown at all (a block hides them), so it is asked in parallel.
  const relationAsked = itsMe ? Promise.resolve(null) : relationTo(username).catch((error) => {
    toast(error.message, "error");
    return null;
  });
  let profile;
  try {
    profile = await api(`/users/${encodeURIComponent(username)}`);
  } catch (error) {
    outlet.replaceChildren(errorBox(error));
    return undefined;
  }
  const isMe = profile.id === session.user.id;
  const relation = isMe ? null : await relationAsked;
  const followers = h("strong", {}, formatCount(profile.followers_count));
  const following = h("strong", {}, formatCount(profile.following_count));
  const buttons = h("div.profile-actions");
  const note = h("p.relation-note", { role: "status" });
  const postsArea = h("div.profile-posts");
  const ownLists = isMe ? blockedAndMuted() : null;
  let list = null;

  const showPosts = () => {
    list?.disconnect();
    list = null;
    if (relation?.blocking) {
      postsArea.replaceChildren(h("p.empty", {}, `You blocked @${profile.username}. Their posts are hidden from you, `
        + "and they cannot see yours, follow you or message you."));
      return Promise.resolve();
    }
    list = pagedList({
      label: `Posts by ${displayName(profile)}`,
      empty: isMe ? "You have not posted yet." : `${displayName(profile)} has not posted yet.`,
      fetchPage: (cursor) => api(`/users/${encodeURIComponent(profile.username)}/posts`, { query: { cursor } }),
      renderItem: (post) => postCard(post),
    });
    postsArea.replaceChildren(list.element);
    return list.start();
  };
  const paintNote = () => {
    note.textContent = relation.blocking ? "Blocked"
      : relation.muting ? `Muted: posts by @${profile.username} stay out of your feeds and notifications.` : "";
    note.hidden = !note.textContent;
  };
  // A block changes what the page shows: the buttons (no follow / friend / message), the counts and the posts.
  const afterBlock = async () => {
    paintButtons();
    paintNote();
    const fresh = await api(`/users/${encodeURIComponent(profile.username)}`).catch(() => null);
    if (fresh) {
      followers.textContent = formatCount(fresh.followers_count);
      following.textContent = formatCount(fresh.following_count);
    }
    await showPosts();
  };
  const mute = relation && muteButton(profile, relation, paintNote);
  const block = relation && blockButton(profile, relation, afterBlock);
  function paintButtons() {
    if (!relation) buttons.replaceChildren();
    else if (relation.blocking) buttons.replaceChildren(block);
    else {
      buttons.replaceChildren(followButton(profile, relation, followers), friendButton(profile, relation),
        messageButton(profile), mute, block, reportButton(profile));
    }
  }
  paintButtons();
  if (relation) paintNote();
  else note.hidden = true;

  outlet.replaceChildren(
    h("section.profile", {},
      h("div.profile-cover", { style: `--hue: ${profile.id.charCodeAt(profile.id.length - 1) * 7 % 360}` }),
      h("div.profile-head", {},
        avatar(profile, "xl"),
        buttons),
      h("h1", {}, displayName(profile)),
      h("p.handle", {}, `@${profile.username}`),
      note,
      profile.bio ? h("p.bio", {}, profile.bio) : null,
      profile.moderation_notice ? h("p.notice", {}, profile.moderation_notice) : null,
      h("p.profile-facts", {},
        profile.location ? h("span", {}, profile.location) : null,
        profile.website ? h("a", { href: profile.website, rel: "noopener nofollow", target: "_blank" }, profile.website) : null),
      h("p.profile-counts", {},
        h("span", {}, followers, " followers"),
        h("span", {}, following, " following"),
        h("span", {}, h("strong", {}, formatCount(profile.posts_count)), " posts"))),
    ...(ownLists ? [ownLists.element] : []),
    h("h2.section-title", {}, "Posts"),
    postsArea,
  );
  await Promise.all([showPosts(), ownLists?.start()]);
  return () => {
    list?.disconnect();
    ownLists?.disconnect();
  };
}
