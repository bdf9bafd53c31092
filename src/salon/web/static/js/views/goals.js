// Goals: the ones you take part in, a new-goal form, and one goal with participants, check-ins and the coach.

import { api } from "../api.js";
import { avatar, busy, clear, displayName, errorBox, h, spinner, timeAgo, toast } from "../dom.js";
import { pagedList } from "../paging.js";

function target(goal) {
  if (goal.target_type === "amount") return `${goal.progress} / ${goal.target_value} ${goal.unit}`.trim();
  if (goal.target_type === "date") return goal.days_left >= 0 ? `${goal.days_left} days left` : "Target date passed";
  return goal.status === "completed" ? "Done" : "Not done yet";
}

function progressBar(goal) {
  if (goal.target_type !== "amount" || !goal.target_value) return null;
  const percent = Math.min(100, Math.round((goal.progress / goal.target_value) * 100));
  return h("progress", { max: 100, value: percent, "aria-label": `${percent}% done` });
}

function goalRow(goal) {
  return h("a.person-row.goal-row", { href: `#/goals/${goal.id}` },
    h("div.grow", {}, h("strong", {}, goal.title), h("p.muted", {}, target(goal)), progressBar(goal)),
    goal.me ? h("span.badge", {}, `🔥 ${goal.me.current_streak}`) : null,
    goal.invited ? h("span.badge.badge-count", {}, "Invited") : null);
}

function newGoalForm(onCreated) {
  const errors = h("div");
  const form = h("form.composer.goal-form", { "aria-label": "New goal" },
    h("label", { for: "goal-title" }, "Goal"),
    h("input", { id: "goal-title", name: "title", required: true, maxLength: 200, placeholder: "Run 100 km" }),
    h("div.goal-fields", {},
      h("label", {}, "Kind ", h("select", { name: "target_type" },
        h("option", { value: "amount" }, "An amount"), h("option", { value: "date" }, "By a date"),
        h("option", { value: "boolean" }, "Just do it"))),
      h("label", {}, "Target ", h("input", { name: "target_value", type: "number", min: 0, step: "any" })),
      h("label", {}, "Unit ", h("input", { name: "unit", maxLength: 30, placeholder: "km" })),
      h("label", {}, "Date ", h("input", { name: "target_date", type: "date" })),
      h("label", {}, "Visible to ", h("select", { name: "visibility" },
        h("option", { value: "friends" }, "Friends"), h("option", { value: "public" }, "Everyone"),
        h("option", { value: "private" }, "Only me")))),
    errors,
    h("div.composer-bar", {}, h("span.spacer"), h("button.primary", { type: "submit" }, "Create goal")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const values = Object.fromEntries(new FormData(form));
    const body = { title: values.title, target_type: values.target_type, visibility: values.visibility };
    if (values.target_type === "amount") Object.assign(body, { target_value: Number(values.target_value), unit: values.unit });
    if (values.target_type === "date") body.target_date = values.target_date || null;
    try {
      onCreated(await api("/goals", { method: "POST", body }));
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return form;
}

export async function goalsView(outlet) {
  const list = pagedList({
    label: "Your goals",
    empty: "No goals yet. Set one above, alone or with friends.",
    fetchPage: (cursor) => api("/goals", { query: { cursor } }),
    renderItem: goalRow,
  });
  outlet.append(h("header.page-head", {}, h("h1", {}, "Goals")),
    newGoalForm((goal) => { location.hash = `/goals/${goal.id}`; }), list.element);
  await list.start();
  return () => list.disconnect();
}

export async function goalView(outlet, { id }) {
  outlet.append(spinner());
  let goal;
  try {
    goal = await api(`/goals/${encodeURIComponent(id)}`);
  } catch (error) {
    outlet.replaceChildren(errorBox(error));
    return undefined;
  }
  const summary = h("div");
  const paint = () => clear(summary,
    h("p.muted", {}, target(goal), " · ", `${goal.participant_count} taking part`, " · ", goal.visibility), progressBar(goal));
  paint();

  const participants = pagedList({
    label: "Participants",
    fetchPage: (cursor) => api(`/goals/${goal.id}/participants`, { query: { cursor } }),
    renderItem: (p) => h("div.person-row", {}, avatar(p.user), h("span.person-name.grow", {}, displayName(p.user)),
      h("span.muted", {}, `${p.checkin_count} check-ins · streak ${p.current_streak} (best ${p.longest_streak})`)),
  });
  const checkins = pagedList({
    label: "Check-ins",
    empty: "No check-ins yet.",
    fetchPage: (cursor) => api(`/goals/${goal.id}/checkins`, { query: { cursor } }),
    renderItem: (c) => h("div.person-row", {}, avatar(c.user, "sm"),
      h("div.grow", {}, h("strong", {}, displayName(c.user)), c.value !== null ? ` +${c.value} ${goal.unit}` : "",
        c.note ? h("p", {}, c.note) : null), timeAgo(c.created_at)),
  });

  const actions = h("div.profile-actions");
  if (goal.viewer_role === "owner" || goal.viewer_role === "member") {
    const errors = h("div");
    const form = h("form.composer", { "aria-label": "Check in" },
      goal.target_type === "amount" ? [h("label", { for: "checkin-value" }, `How much (${goal.unit || "amount"})`),
        h("input", { id: "checkin-value", name: "value", type: "number", step: "any", min: 0, required: true })] : null,
      h("label", { for: "checkin-note" }, "Note"),
      h("textarea", { id: "checkin-note", name: "note", rows: 2, maxLength: 1000 }),
      errors,
      h("div.composer-bar", {}, h("label.checkbox", {}, h("input", { type: "checkbox", name: "share" }), " Share as a post"),
        h("span.spacer"), h("button.primary", { type: "submit" }, "Check in")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errors.replaceChildren();
      const values = Object.fromEntries(new FormData(form));
      const body = { note: values.note, share: Boolean(values.share) };
      if (values.value) body.value = Number(values.value);
      try {
        const result = await api(`/goals/${goal.id}/checkins`, { method: "POST", body });
        goal = result.goal;
        paint();
        form.reset();
        toast("Checked in");
        checkins.reload();
        participants.reload();
      } catch (error) {
        errors.replaceChildren(errorBox(error));
      }
    });
    actions.append(h("button.secondary", { type: "button", onclick: (event) => busy(event.currentTarget, async () => {
      const conversation = await api(`/goals/${goal.id}/coach`, { method: "POST" });
      location.hash = `/ai/${conversation.id}`;
    }) }, "Talk to the coach"));
    clear(outlet, h("header.page-head", {}, h("h1", {}, goal.title), actions), summary,
      goal.description ? h("p.bio", {}, goal.description) : null, form);
  } else {
    if (goal.invited || goal.visibility === "public") {
      actions.append(h("button.primary", { type: "button", onclick: (event) => busy(event.currentTarget, async () => {
        goal = await api(`/goals/${goal.id}/join`, { method: "POST" });
        location.reload();
      }) }, goal.invited ? "Accept invitation" : "Join"));
    }
    clear(outlet, h("header.page-head", {}, h("h1", {}, goal.title), actions), summary);
  }
  outlet.append(h("h2.section-title", {}, "Participants"), participants.element,
    h("h2.section-title", {}, "Check-ins"), checkins.element);
  await Promise.all([participants.start(), checkins.start()]);
  return () => {
    participants.disconnect();
    checkins.disconnect();
  };
}
