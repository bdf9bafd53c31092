// The application shell: navigation with unread badges, the live connection, and the routes.

import { api, session } from "./api.js";
import { avatar, clear, displayName, h, icon, toast } from "./dom.js";
import { openComposer } from "./compose.js";
import { live } from "./live.js";
import { currentPath, render, route, startRouter } from "./router.js";
import { aiView } from "./views/ai.js";
import { authView } from "./views/auth.js";
import { chatsView } from "./views/chats.js";
import { bookmarksView, exploreView, tagView, trendingBox } from "./views/explore.js";
import { feedView } from "./views/feed.js";
import { goalView, goalsView } from "./views/goals.js";
import { friendsView, notificationsView } from "./views/notifications.js";
import { postView } from "./views/post.js";
import { profileView } from "./views/profile.js";

const PUBLIC_ROUTES = new Set(["/signin", "/signup"]);

function signedIn(view) {
  return (outlet, params) => {
    if (!session.signedIn) {
      location.hash = "/signin";
      return undefined;
    }
    return view(outlet, params);
  };
}

route("/", (outlet) => {
  location.hash = session.signedIn ? "/feed" : "/signin";
});
route("/signin", (outlet) => (session.signedIn ? navigateHome() : authView(outlet, { mode: "signin" })));
route("/signup", (outlet) => (session.signedIn ? navigateHome() : authView(outlet, { mode: "signup" })));
route("/feed", signedIn(feedView));
route("/explore", signedIn(exploreView));
route("/tags/:tag", signedIn(tagView));
route("/bookmarks", signedIn(bookmarksView));
route("/notifications", signedIn(notificationsView));
route("/friends", signedIn(friendsView));
route("/posts/:id", signedIn(postView));
route("/@:username", signedIn(profileView));
route("/chats", signedIn(chatsView));
route("/chats/:id", signedIn(chatsView));
route("/ai", signedIn(aiView));
route("/ai/:id", signedIn(aiView));
route("/goals", signedIn(goalsView));
route("/goals/:id", signedIn(goalView));

function navigateHome() {
  location.hash = "/feed";
}

// --- unread badges -------------------------------------------------------------------------------------------

const badges = { notifications: h("span.badge.badge-count", { hidden: true }), chats: h("span.badge.badge-count", { hidden: true }) };

function setBadge(name, count) {
  const badge = badges[name];
  badge.hidden = !count;
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.setAttribute("aria-label", `${count} unread`);
  document.title = totalUnread() ? `(${totalUnread()}) salon` : "salon";
}

function totalUnread() {
  return ["notifications", "chats"].reduce((sum, name) => sum + (badges[name].hidden ? 0 : Number.parseInt(badges[name].textContent, 10) || 0), 0);
}

async function refreshBadges() {
  const [notifications, chats] = await Promise.all([
    api("/notifications/unread_count").catch(() => null),
    api("/chats/unread").catch(() => null),
  ]);
  if (notifications) setBadge("notifications", notifications.count);
  if (chats) setBadge("chats", chats.unread_count);
}

let chatBadgeTimer = null;
function refreshChatBadgeSoon() {
  clearTimeout(chatBadgeTimer);
  chatBadgeTimer = setTimeout(() => api("/chats/unread").then((body) => setBadge("chats", body.unread_count)).catch(() => {}), 400);
}

live.on("notification", (data) => setBadge("notifications", data.unread_count));
live.on("notification.withdrawn", (data) => setBadge("notifications", data.unread_count));
live.on("notifications.read", (data) => setBadge("notifications", data.unread_count));
live.on("message", refreshChatBadgeSoon);
live.on("read", refreshChatBadgeSoon);
live.on("refetch", refreshBadges);
live.on("moderation.decision", (data) => {
  toast(`A moderator reviewed your ${data.subject_type}: ${data.action}.`);
});

// --- navigation ---------------------------------------------------------------------------------------------

const NAV = [
  ["/feed", "home", "Home"],
  ["/explore", "explore", "Explore"],
  ["/notifications", "bell", "Notifications", "notifications"],
  ["/chats", "chat", "Chats", "chats"],
  ["/ai", "spark", "AI"],
  ["/goals", "flag", "Goals"],
  ["/bookmarks", "bookmark", "Bookmarks"],
  ["/friends", "user", "Friends"],
];

function navigation() {
  const user = session.user;
  const links = NAV.map(([path, iconName, label, badge]) =>
    h("a.nav-link", { href: `#${path}`, dataset: { path } }, icon(iconName, 22), h("span.nav-label", {}, label), badge ? badges[badge] : null));
  const signOut = h("button.nav-link.sign-out", { type: "button" }, icon("logout", 22), h("span.nav-label", {}, "Sign out"));
  signOut.addEventListener("click", async () => {
    await session.signOut();
  });
  const liveDot = h("span.live-dot", { title: "Live updates", role: "status" });
  live.on("status", (status) => {
    liveDot.dataset.status = status;
    liveDot.setAttribute("aria-label", status === "live" ? "Live updates connected" : "Reconnecting to live updates");
  });
  return h("nav.sidebar", { "aria-label": "Main" },
    h("a.brand", { href: "#/feed" }, "salon", liveDot),
    h("div.nav-links", {}, links),
    h("button.primary.compose-button", { type: "button", title: "New post (n)", onclick: () => openComposer() }, icon("plus", 20), h("span.nav-label", {}, "New post")),
    h("a.nav-me", { href: `#/@${user.username}`, dataset: { path: `/@${user.username}` } }, avatar(user, "sm"),
      h("span.nav-label", {}, h("strong", {}, displayName(user)), h("span.handle", {}, `@${user.username}`))),
    signOut);
}

function markCurrentLink() {
  const path = currentPath().split("?")[0];
  document.querySelectorAll("[data-path]").forEach((link) => {
    const active = path === link.dataset.path || path.startsWith(`${link.dataset.path}/`);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
  document.body.dataset.route = path.split("/")[1] || "home";
}

function layout() {
  const shell = document.getElementById("shell");
  const aside = document.getElementById("aside");
  if (session.signedIn) {
    clear(shell, navigation());
    clear(aside, trendingBox(), h("p.aside-foot", {}, "salon · ", h("a", { href: "/schema/swagger" }, "API")));
    shell.hidden = false;
    aside.hidden = false;
    document.body.classList.add("signed-in");
  } else {
    shell.replaceChildren();
    aside.replaceChildren();
    shell.hidden = true;
    aside.hidden = true;
    document.body.classList.remove("signed-in");
  }
}

session.onChange((user) => {
  layout();
  if (user) {
    live.start();
    refreshBadges();
  } else {
    live.stop();
    location.hash = "/signin";
  }
  render();
});

document.addEventListener("salon:route", markCurrentLink);
// The skip link must not change the hash (the hash is the route).
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});
document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (!typing && event.key === "n" && session.signedIn && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    openComposer();
  }
});

async function boot() {
  await session.restore();
  layout();
  if (session.signedIn) {
    live.start();
    refreshBadges();
  } else if (!PUBLIC_ROUTES.has(currentPath())) {
    history.replaceState(null, "", "#/signin");
  }
  document.getElementById("boot")?.remove();
  await startRouter();
}

boot();
