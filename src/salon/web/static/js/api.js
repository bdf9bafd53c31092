// The HTTP API client: tokens, problem+json errors, and one refresh on a 401.
//
// Token storage trade-off: the access token (15 minutes) lives only in memory, so a script injected into the page
// can use it while the page is open but it never touches storage. The refresh token is kept in localStorage so a
// reload or a new tab stays signed in; anything able to run script in this origin could read it. salon rotates
// refresh tokens and ends the whole session when a rotated one is presented again, which limits what a stolen one
// is worth. An httpOnly cookie would hide it from script, at the price of CSRF defences the API does not need today.

const REFRESH_KEY = "salon.refresh_token";
export const API = "/api/v1";

let accessToken = null;
let currentUser = null;
let refreshing = null;
const authListeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(describeProblem(status, problem));
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code;
  }
}

function describeProblem(status, problem) {
  if (!problem) return `The server answered ${status}.`;
  const fields = Array.isArray(problem.extra)
    ? problem.extra.map((item) => item.message).filter((message) => message && message !== problem.detail)
    : [];
  const detail = problem.detail || problem.title || `The server answered ${status}.`;
  return fields.length ? `${detail} ${fields.join(" ")}` : detail;
}

export const session = {
  get user() {
    return currentUser;
  },
  get signedIn() {
    return currentUser !== null;
  },
  onChange(listener) {
    authListeners.add(listener);
    return () => authListeners.delete(listener);
  },
  /** Store a token body ({user, access_token, refresh_token}) from register, login or refresh. */
  accept(body) {
    accessToken = body.access_token;
    localStorage.setItem(REFRESH_KEY, body.refresh_token);
    const changed = currentUser?.id !== body.user.id;
    currentUser = body.user;
    if (changed) authListeners.forEach((listener) => listener(currentUser));
  },
  update(user) {
    currentUser = user;
  },
  /** After a reload: trade the stored refresh token for a new session state. */
  async restore() {
    if (!localStorage.getItem(REFRESH_KEY)) return false;
    return refreshTokens();
  },
  async signOut() {
    if (accessToken) {
      await fetch(`${API}/auth/logout`, { method: "POST", headers: authHeader() }).catch(() => {});
    }
    forget();
  },
};

function forget() {
  const wasSignedIn = currentUser !== null;
  accessToken = null;
  currentUser = null;
  localStorage.removeItem(REFRESH_KEY);
  if (wasSignedIn) authListeners.forEach((listener) => listener(null));
}

function authHeader() {
  return accessToken ? { Authorization: `Bearer ${accessToken}` } : {};
}

/** One refresh at a time: concurrent 401s wait for the same rotation (a second rotation would end the session). */
function refreshTokens() {
  refreshing ??= (async () => {
    const token = localStorage.getItem(REFRESH_KEY);
    if (!token) return false;
    const response = await fetch(`${API}/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    }).catch(() => null);
    if (response?.ok) {
      session.accept(await response.json());
      return true;
    }
    if (response && response.status === 401) forget();
    return false;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function buildUrl(path, query) {
  const url = new URL(path.startsWith("/") && !path.startsWith(API) ? API + path : path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

function send(url, { method, body, headers, signal }) {
  const init = { method, signal, headers: { ...authHeader(), ...headers } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  return fetch(url, init);
}

async function problemOf(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) return response.json().catch(() => null);
  return null;
}

/**
 * Call the API. Paths are relative to /api/v1. Answers the parsed JSON (null for 204), or the Response itself with
 * `stream: true` (for text/event-stream answers). Errors throw ApiError carrying the problem's detail.
 */
export async function api(path, { method = "GET", body, query, headers, signal, stream = false } = {}) {
  const url = buildUrl(path, query);
  let response;
  try {
    response = await send(url, { method, body, headers, signal });
    if (response.status === 401 && localStorage.getItem(REFRESH_KEY) && (await refreshTokens())) {
      response = await send(url, { method, body, headers, signal });
    }
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: "salon cannot be reached. Check your connection and try again." });
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (stream) return response;
  if (response.status === 204) return null;
  return response.json();
}
