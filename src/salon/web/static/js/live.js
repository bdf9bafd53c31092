// The one live connection: an EventSource on /api/v1/events, authenticated with a single-use ticket.
//
// EventSource reconnects by itself with the same URL, but a ticket works once, so on an error this module closes
// the source and opens a new one with a fresh ticket and ?last_event_id= (the id of the last logged event seen):
// the server replays exactly what was missed. Views subscribe with live.on(name, handler).

import { api, session } from "./api.js";

const EVENT_NAMES = [
  "refetch", "presence", "typing",
  "notification", "notification.withdrawn", "notifications.read",
  "message", "message_edited", "message_deleted", "message_hidden", "read",
  "chat_member_added", "chat_member_removed", "chat_updated",
  "ai.conversation_titled", "media.processed", "moderation.decision",
];
const MAX_BACKOFF_MS = 30_000;

class LiveEvents extends EventTarget {
  #source = null;
  #lastEventId = null;
  #attempt = 0;
  #timer = null;
  #running = false;
  #everConnected = false;
  status = "offline";

  start() {
    if (this.#running) return;
    this.#running = true;
    this.#connect();
  }

  stop() {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#source?.close();
    this.#source = null;
    this.#lastEventId = null;
    this.#setStatus("offline");
  }

  /** Subscribe to an event by name; the handler gets the parsed data. Returns the unsubscribe function. */
  on(name, handler) {
    const listener = (event) => handler(event.detail);
    this.addEventListener(name, listener);
    return () => this.removeEventListener(name, listener);
  }

  async #connect() {
    let ticket;
    try {
      ({ ticket } = await api("/events/ticket", { method: "POST" }));
    } catch {
      return this.#retry();
    }
    if (!this.#running) return;
    const url = new URL("/api/v1/events", location.origin);
    url.searchParams.set("ticket", ticket);
    const resuming = this.#lastEventId !== null;
    if (resuming) url.searchParams.set("last_event_id", this.#lastEventId);
    const source = new EventSource(url);
    this.#source = source;
    source.onopen = () => {
      this.#attempt = 0;
      this.#setStatus("live");
      // Without a resume point (no logged event seen yet) a gap cannot be replayed: views reload instead.
      if (!resuming && this.#everConnected) this.#dispatch("refetch", { reason: "reconnected" });
      this.#everConnected = true;
    };
    source.onerror = () => {
      source.close();
      if (this.#source === source) this.#retry();
    };
    // A stream ends with `session.ended` (docs/api.md) when its session is revoked or its access token expires:
    // reconnecting with the same credentials would only get 401s.
    source.addEventListener("session.ended", (event) => {
      source.close();
      if (this.#source !== source) return;
      let reason = null;
      try {
        ({ reason } = JSON.parse(event.data));
      } catch {
        reason = null;
      }
      if (reason === "tokens_revoked" || reason === "token_expired") {
        // The session lives on: the ticket request refreshes the access token (on its 401) and the new stream resumes
        // from the last event seen, so nothing is lost.
        this.#connect();
      } else {
        this.stop();
        session.signOut(); // this device was signed out elsewhere
      }
    });
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        if (event.lastEventId) this.#lastEventId = event.lastEventId;
        let data = null;
        try {
          data = JSON.parse(event.data);
        } catch {
          data = event.data;
        }
        this.#dispatch(name, data);
      });
    }
  }

  #retry() {
    if (!this.#running) return;
    this.#setStatus("reconnecting");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt) * (0.75 + Math.random() / 2);
    this.#attempt += 1;
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #dispatch(name, data) {
    this.dispatchEvent(new CustomEvent(name, { detail: data }));
  }

  #setStatus(status) {
    this.status = status;
    this.#dispatch("status", status);
  }
}

export const live = new LiveEvents();
