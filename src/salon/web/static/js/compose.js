// The composer: text with a live character count, up to 4 images, visibility, replies and quotes.

import { api } from "./api.js";
import { errorBox, h, icon, toast } from "./dom.js";
import { embeddedPost } from "./posts.js";

const MAX_LENGTH = 1000; // SALON_POST_MAX_LENGTH's default; the server has the last word (a 422 is shown)
const MAX_IMAGES = 4;
const READY_POLL_MS = 700;
const READY_TIMEOUT_MS = 60_000;

async function uploadImage(file) {
  const form = new FormData();
  form.append("file", file);
  let media = await api("/media", { method: "POST", body: form });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (media.status === "processing" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    media = await api(`/media/${media.id}`);
  }
  if (media.status !== "ready") throw new Error(media.failure_reason || `${file.name} could not be processed.`);
  return media;
}

/** The "Who can see this" picker (the composer, and the editor of a post). */
export function visibilitySelect(value = "public") {
  return h("select", { name: "visibility", "aria-label": "Who can see this" },
    [["public", "Everyone"], ["followers", "Followers"], ["friends", "Friends"], ["private", "Only me"]].map(
      ([option, label]) => h("option", { value: option, selected: option === value }, label)));
}

/** A compose form. `onPosted(post)` runs after a successful create. */
export function composer({ replyTo = null, quote = null, onPosted, autofocus = false } = {}) {
  const id = `compose-${Math.random().toString(36).slice(2, 8)}`;
  const text = h("textarea", {
    id, name: "content", rows: replyTo ? 2 : 3, maxLength: MAX_LENGTH * 2, required: true, autofocus,
    placeholder: replyTo ? "Write your reply" : quote ? "Add a comment" : "What's happening?",
  });
  const counter = h("span.counter", { "aria-live": "polite" });
  const visibility = visibilitySelect();
  const fileInput = h("input.visually-hidden", { type: "file", accept: "image/jpeg,image/png,image/webp,image/gif", multiple: true, id: `${id}-files` });
  const previews = h("div.previews");
  const errors = h("div");
  const submit = h("button.primary", { type: "submit" }, replyTo ? "Reply" : "Post");
  const uploads = [];
  let idempotencyKey = crypto.randomUUID();

  const refresh = () => {
    const length = Array.from(text.value.trim()).length;
    counter.textContent = `${length} / ${MAX_LENGTH}`;
    counter.classList.toggle("over", length > MAX_LENGTH);
    const pending = uploads.some((upload) => !upload.media);
    submit.disabled = length === 0 || length > MAX_LENGTH || pending;
  };

  fileInput.addEventListener("change", () => {
    for (const file of Array.from(fileInput.files).slice(0, MAX_IMAGES - uploads.length)) addUpload(file);
    fileInput.value = "";
  });

  function addUpload(file) {
    const upload = { media: null };
    const remove = h("button.remove", { type: "button", "aria-label": `Remove ${file.name}` }, "×");
    const preview = h("figure.preview.uploading", {},
      h("img", { src: URL.createObjectURL(file), alt: file.name }), remove);
    remove.addEventListener("click", () => {
      uploads.splice(uploads.indexOf(upload), 1);
      preview.remove();
      refresh();
    });
    uploads.push(upload);
    previews.append(preview);
    refresh();
    uploadImage(file)
      .then((media) => {
        upload.media = media;
        preview.classList.remove("uploading");
      })
      .catch((error) => {
        uploads.splice(uploads.indexOf(upload), 1);
        preview.remove();
        toast(error.message, "error");
      })
      .finally(refresh);
  }

  text.addEventListener("input", refresh);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  const form = h("form.composer", { "aria-label": replyTo ? "Reply" : "New post" },
    h("label.visually-hidden", { for: id }, replyTo ? "Reply" : "Post text"),
    text,
    quote ? embeddedPost(quote) : null,
    previews,
    errors,
    h("div.composer-bar", {},
      h("label.icon-button", { for: `${id}-files`, title: "Add images" }, icon("image"), h("span.visually-hidden", {}, "Add images")),
      fileInput,
      replyTo ? null : visibility,
      h("span.spacer"),
      counter,
      submit),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    submit.disabled = true;
    try {
      const body = { content: text.value };
      if (!replyTo) body.visibility = visibility.value;
      if (replyTo) body.reply_to_id = replyTo.id;
      if (quote) body.quote_of_id = quote.id;
      if (uploads.length) body.media_ids = uploads.map((upload) => upload.media.id);
      const post = await api("/posts", { method: "POST", body, headers: { "Idempotency-Key": idempotencyKey } });
      idempotencyKey = crypto.randomUUID();
      text.value = "";
      uploads.length = 0;
      previews.replaceChildren();
      toast(replyTo ? "Reply sent" : "Posted");
      onPosted?.(post);
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    } finally {
      refresh();
    }
  });
  refresh();
  return form;
}

/** The composer in a modal dialog (the Quote button, the "Post" button of the navigation). */
export function openComposer({ quote = null } = {}) {
  const dialog = h("dialog.modal", { "aria-label": quote ? "Quote post" : "New post" });
  const close = h("button.icon-button.close", { type: "button", "aria-label": "Close" }, "×");
  close.addEventListener("click", () => dialog.close());
  dialog.append(h("div.modal-head", {}, h("h2", {}, quote ? "Quote post" : "New post"), close),
    composer({ quote, autofocus: true, onPosted: (post) => {
      dialog.close();
      document.dispatchEvent(new CustomEvent("salon:posted", { detail: post }));
    } }));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
