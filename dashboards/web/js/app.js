import { h } from './dom.js';
import { startFleetStatus } from './fleet-status.js';
import { mountFleetView } from './fleet/fleet-view.js';
import { recordError } from './metrics.js';
import { installSourceTips } from './source-tip.js';
import { followRemembered, remember, restoreLinks } from './view-url.js';

/**
 * Hash router: #/fleet[?sort=…], #/device/<id>[?range=7d | ?from=&to=], #/calculator?<state>. Hash routes need no server fallback and the
 * calculator's state travels in the shared link.
 */
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
installSourceTips(main);
/** @type {(() => void) | null} */
let dispose = null;
let generation = 0;
/** The generation whose mount finished while it was current: its view is on screen. */
let shown = 0;
/** A stale mount finished while the current one was under way: mount the current view again once it is done. */
let overwritten = false;

/**
 * A mount that finished after another route began (views render once their data is in) may have written into `main`
 * over the newer view: mount the current view again, now if it is on screen, else when its own mount is done.
 */
function staleMountFinished() {
  if (shown === generation) void route();
  else overwritten = true;
}

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/fleet';
  const [path = '/fleet', query = ''] = hash.split('?', 2);
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query) };
}

async function route() {
  const mine = ++generation;
  overwritten = false;
  dispose?.();
  dispose = null;
  const { parts, params } = parseRoute();
  const view = parts[0] ?? 'fleet';
  remember(location.hash);
  restoreLinks();
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (/** @type {HTMLElement} */ (link).dataset['nav'] === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  try {
    /** @type {() => void} */
    let next;
    if (view === 'device' && parts[1]) {
      document.title = `${decodeURIComponent(parts[1])} · TinyML footprint`;
      // The device and calculator views (and uPlot) load when first opened: the fleet view, the default, needs none of them.
      const { mountDeviceView } = await import('./device/device-view.js');
      if (mine !== generation) return; // another route began while the module loaded: it owns the page
      next = await mountDeviceView(main, decodeURIComponent(parts[1]), params);
    } else if (view === 'calculator') {
      document.title = 'Calculator · TinyML footprint';
      const { mountCalculatorView } = await import('./calculator/calculator-view.js');
      if (mine !== generation) return;
      next = await mountCalculatorView(main, params);
    } else {
      document.title = 'Fleet · TinyML footprint';
      next = await mountFleetView(main, params);
    }
    if (mine !== generation) {
      next();
      staleMountFinished();
      return;
    }
    dispose = next;
    shown = mine;
    if (overwritten) {
      overwritten = false;
      void route();
    }
  } catch (error) {
    if (mine !== generation) {
      staleMountFinished(); // its error is not the current view's
      return;
    }
    recordError(String(error));
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load this view: ${error instanceof Error ? error.message : String(error)}`));
  }
}

window.addEventListener('hashchange', (event) => {
  remember(new URL(event.oldURL).hash); // the state the view left in place (replaceState) before this navigation
  void route();
  main.focus({ preventScroll: true });
});
document.addEventListener('click', followRemembered);
// The header's fleet state after the first view is on screen: its request would otherwise queue before the view's own.
const fleetStateEl = document.getElementById('fleet-state');
void route().finally(() => {
  if (fleetStateEl) startFleetStatus(fleetStateEl);
});
