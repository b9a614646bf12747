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

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/fleet';
  const [path = '/fleet', query = ''] = hash.split('?', 2);
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query) };
}

async function route() {
  const mine = ++generation;
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
    if (mine !== generation) next();
    else dispose = next;
  } catch (error) {
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
