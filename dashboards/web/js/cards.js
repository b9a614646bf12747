import { h } from './dom.js';

/**
 * A headline number with its label, a sub-line, and a hover title carrying the unit and source.
 * @param {string} label @param {string} value @param {string} sub @param {string} id @param {string} title
 */
export function card(label, value, sub, id, title) {
  return h(
    'div',
    { class: 'card', title },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value', id }, value),
    h('div', { class: 'card-sub' }, sub),
  );
}
