// Path routing with history.pushState: every selection lives in the URL's query, so a
// reload or a shared link restores it. app.js installs the handler that renders the page.

let handler = () => {};

export function onRoute(fn) {
  handler = fn;
}

export function route() {
  handler();
}

export function navigate(url, {replace = false} = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  handler();
}

// Changes some query parameters (null, undefined or '' removes one) and routes: the current
// page's update() runs when the path is the same.
export function setQuery(params, {replace = false} = {}) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) q.delete(k);
    else q.set(k, String(v));
  }
  const text = q.toString();
  const url = `${location.pathname}${text ? `?${text}` : ''}${location.hash}`;
  if (url === `${location.pathname}${location.search}${location.hash}`) return;
  navigate(url, {replace});
}
