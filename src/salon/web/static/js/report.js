// Reporting a post or a user to the moderators (POST /reports): a reason, an optional note, and a confirmation toast.

import { api } from "./api.js";
import { errorBox, h, toast } from "./dom.js";

// The API's report reasons (docs/api.md, Moderation), in the words a person would pick.
const REASONS = [
  ["spam", "Spam"],
  ["harassment", "Harassment or bullying"],
  ["hate", "Hate"],
  ["violence", "Violence or threats"],
  ["sexual", "Sexual content"],
  ["self_harm", "Self-harm"],
  ["other", "Something else"],
];
const NOTE_MAX = 2000;

/** openReportDialog({subjectType: "post" | "user", subjectId, title}): a modal form; closing it sends nothing. */
export function openReportDialog({ subjectType, subjectId, title }) {
  const id = `report-${Math.random().toString(36).slice(2, 8)}`;
  const dialog = h("dialog.modal", { "aria-labelledby": `${id}-title` });
  const close = h("button.icon-button.close", { type: "button", "aria-label": "Close" }, "×");
  const cancel = h("button.secondary", { type: "button" }, "Cancel");
  for (const button of [close, cancel]) button.addEventListener("click", () => dialog.close());
  const note = h("textarea", { id: `${id}-note`, name: "note", rows: 3, maxLength: NOTE_MAX });
  const errors = h("div");
  const submit = h("button.primary", { type: "submit" }, "Send report");
  const form = h("form.report-form", {},
    h("fieldset.report-reasons", {},
      h("legend", {}, "Why are you reporting this?"),
      REASONS.map(([value, label]) =>
        h("label.checkbox", {}, h("input", { type: "radio", name: "reason", value, required: true }), label))),
    h("label", { for: note.id }, "Anything the moderators should know (optional)"),
    note,
    errors,
    h("div.dialog-actions", {}, cancel, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      await api("/reports", {
        method: "POST",
        body: { subject_type: subjectType, subject_id: subjectId, reason: form.elements.reason.value, note: note.value.trim() },
      });
      dialog.close();
      toast("Thank you. Your report was sent to the moderators.");
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });

  dialog.append(h("div.modal-head", {}, h("h2", { id: `${id}-title` }, title), close), form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
