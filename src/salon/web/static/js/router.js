// Hash routes (#/feed, #/posts/ID, #/@alice ...): a reload keeps the screen and the server only serves "/".

const routes = [];
let currentCleanup = null;

/** route("/posts/:id", view): `view(outlet, params)` renders into outlet and may return a cleanup function. */
export function route(pattern, view) {
  const names = [];
  const regex = new RegExp(
    `^${pattern.replace(/:(\w+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  routes.push({ regex, names, view });
}

export function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

export function currentPath() {
  return location.hash.slice(1) || "/";
}

export async function render() {
  const outlet = document.getElementById("main");
  const [path, query = ""] = currentPath().split("?");
  if (typeof currentCleanup === "function") currentCleanup();
  currentCleanup = null;
  for (const { regex, names, view } of routes) {
    const match = path.match(regex);
    if (!match) continue;
    const params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
    params.query = query;
    outlet.replaceChildren();
    outlet.scrollTop = 0;
    window.scrollTo(0, 0);
    document.dispatchEvent(new CustomEvent("salon:route", { detail: path }));
    currentCleanup = await view(outlet, params);
    return;
  }
  navigate("/");
}

export function startRouter() {
  window.addEventListener("hashchange", render);
  return render();
}
