/**
 * Every view's state lives in the hash (#/<view>[/<id>]?<state>), so a link, a reload or Back shows the same thing.
 * A view writes its state with replaceViewState (no history entry per keystroke, no remount: replaceState fires no
 * hashchange); the router remembers the last state of each view for its navigation links, so "Fleet" after a device
 * page returns to the table as it was left (sorted, filtered), not to its defaults.
 */

/** sessionStorage key of the remembered hashes (per tab; a new tab starts from the defaults). */
const STORAGE_KEY = 'tinyml-footprint:view-hashes';

/** The hash of a view and its state; no "?" for an empty state. @param {string} path e.g. "fleet", "device/x" @param {URLSearchParams} params */
export function viewHash(path, params) {
  const query = params.toString();
  return `#/${path}${query ? `?${query}` : ''}`;
}

/** The route a hash shows, without its state ("fleet", "device/x", "calculator"). @param {string} hash */
function routeOf(hash) {
  const path = hash.replace(/^#/, '').split('?', 1)[0] ?? '';
  return path.split('/').filter(Boolean).join('/') || 'fleet';
}

/**
 * Replace the URL's hash in place with `hash`, a state of the route on screen; a view that is no longer current (its
 * data came after another route began) changes nothing, or it would take the newer view's URL over.
 * @param {string} hash
 * @param {unknown} [state] history.state to keep
 */
export function replaceHashInPlace(hash, state = null) {
  if (location.hash !== hash && routeOf(location.hash) === routeOf(hash)) history.replaceState(state, '', hash);
}

/** Write a view's state into the URL in place. @param {string} path @param {URLSearchParams} params */
export function replaceViewState(path, params) {
  const hash = viewHash(path, params);
  if (routeOf(location.hash) !== routeOf(hash)) return;
  replaceHashInPlace(hash);
  remember(hash);
}

/** The view a hash shows ("fleet", "device", "calculator"). @param {string} hash */
export function viewOf(hash) {
  const path = hash.replace(/^#\/?/, '').split('?', 1)[0] ?? '';
  return path.split('/')[0] || 'fleet';
}

/** @returns {Record<string, string>} */
function load() {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '{}');
    return parsed !== null && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {}; // storage refused (private mode) or edited by hand: start from the defaults
  }
}

/** Remember a hash as the last state of its view (device pages: the last device page). @param {string} hash */
export function remember(hash) {
  if (!hash.startsWith('#/')) return;
  const hashes = load();
  hashes[viewOf(hash)] = hash;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(hashes));
  } catch {
    // not remembered: links keep their defaults
  }
}

/** The last hash seen of a view, or null. @param {string} view */
export function rememberedHash(view) {
  return load()[view] ?? null;
}

/**
 * Point the header's links to the other views at each one's last state (so they can be opened in a new tab as they
 * were left); the current view's link stays plain: it starts that view afresh. Called after every route change.
 */
export function restoreLinks() {
  const current = viewOf(location.hash);
  for (const link of document.querySelectorAll('a[data-nav]')) {
    const view = /** @type {HTMLElement} */ (link).dataset['nav'] ?? '';
    link.setAttribute('href', view === current ? `#/${view}` : (rememberedHash(view) ?? `#/${view}`));
  }
}

/**
 * A click on a plain "#/<view>" link to another view (a view's "← Fleet", the brand) goes to that view's last state.
 * @param {MouseEvent} event
 */
export function followRemembered(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest('a[href^="#/"]') : null;
  const href = link?.getAttribute('href') ?? '';
  if (!/^#\/[a-z]+$/.test(href)) return;
  const view = href.slice(2);
  const last = rememberedHash(view);
  if (view === viewOf(location.hash) || last === null || last === href) return;
  event.preventDefault();
  location.hash = last;
}
