import { h } from './dom.js';

/**
 * Source details by tap as well as by hover: a phone has no hover, so a `title` (unit, dataset, citation, note) was
 * unreachable there. Tapping or clicking an element that carries one, outside links and form controls, opens its text
 * in a small panel next to it; tapping it again, tapping elsewhere, Escape, scrolling a panel (the fleet table), leaving
 * the view or a live update replacing the element closes it.
 */

/** What already acts on a tap: left alone (a sort button's or a link's title stays a hover title). */
const INTERACTIVE = 'a, button, input, select, textarea, label, summary, option, [role="button"], [contenteditable]';
/** Gap between the element and the panel (CSS px). */
const GAP_PX = 6;
/** Margin kept from the viewport's edges (CSS px). */
const EDGE_PX = 8;

/** @param {HTMLElement} root where titles are looked for (the views' <main>) */
export function installSourceTips(root) {
  const tip = h('div', { id: 'source-tip', class: 'source-tip', role: 'tooltip', hidden: true });
  document.body.append(tip);
  /** @type {HTMLElement | null} */
  let anchor = null;

  // While a panel is open: a live update that replaces its element closes it (its text may be out of date).
  const replaced = new MutationObserver(() => {
    if (anchor !== null && !anchor.isConnected) close();
  });

  function close() {
    if (anchor === null) return;
    replaced.disconnect();
    anchor.removeAttribute('aria-describedby');
    anchor.classList.remove('tip-open');
    anchor = null;
    tip.hidden = true;
  }

  /** @param {HTMLElement} el */
  function open(el) {
    close();
    anchor = el;
    tip.textContent = el.title;
    tip.hidden = false;
    el.setAttribute('aria-describedby', 'source-tip');
    el.classList.add('tip-open');
    replaced.observe(root, { childList: true, subtree: true });
    const box = el.getBoundingClientRect();
    const width = Math.min(tip.offsetWidth, window.innerWidth - 2 * EDGE_PX);
    const left = Math.min(Math.max(EDGE_PX, box.left), window.innerWidth - width - EDGE_PX);
    const below = box.bottom + GAP_PX + tip.offsetHeight <= window.innerHeight - EDGE_PX;
    const top = below ? box.bottom + GAP_PX : Math.max(EDGE_PX, box.top - GAP_PX - tip.offsetHeight);
    tip.style.left = `${Math.round(left + window.scrollX)}px`;
    tip.style.top = `${Math.round(top + window.scrollY)}px`;
  }

  document.addEventListener('click', (event) => {
    const target = /** @type {Element | null} */ (event.target instanceof Element ? event.target : null);
    if (target === null || tip.contains(target)) return;
    const titled = /** @type {HTMLElement | null} */ (target.closest('[title]'));
    const usable = titled !== null && root.contains(titled) && titled.title.trim() !== '' && target.closest(INTERACTIVE) === null;
    if (!usable || titled === anchor) {
      close();
      return;
    }
    open(titled);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  document.addEventListener(
    'scroll',
    (event) => {
      if (event.target !== document) close(); // an inner scroller moved the element away from the panel
    },
    { capture: true, passive: true },
  );
  window.addEventListener('hashchange', close);
  window.addEventListener('resize', close);
  return { close };
}
