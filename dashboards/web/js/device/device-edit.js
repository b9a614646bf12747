import { getGrids } from '../api.js';
import { h } from '../dom.js';
import { datetimeLocalValue } from './time-format.js';

/** sessionStorage key of the API token: asked for once per browser session, gone when the tab closes. */
export const TOKEN_KEY = 'tinyml-footprint.api-token';

/** @returns {string | null} */
function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: ask every time
  }
}

/** @param {string | null} token */
function storeToken(token) {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: the token lives only in the form
  }
}

/**
 * The device's editable fields (PATCH /api/devices/:id): name, fleet, deployedAt, system, grid, lifetime. Only the
 * fields that changed are sent. The API token is asked for the first time and kept in session storage; a 401 forgets
 * it and asks again.
 * @param {{ device: any, footprint: any, catalogue: any, onSaved: (device: any) => void }} deps
 */
export async function deviceEditForm(deps) {
  const { device, footprint, catalogue } = deps;
  const grids = /** @type {any[]} */ (await getGrids());
  const gridValue = grids.some((g) => g.id === device.spec.grid) ? device.spec.grid : footprint.grid.id;
  const systemValue = typeof device.spec.system === 'string' ? device.spec.system : null;
  const deployedValue = device.deployedAt ? datetimeLocalValue(Date.parse(device.deployedAt)) : '';

  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'edit-name', value: device.name, required: true, maxlength: '200' }));
  const fleet = /** @type {HTMLInputElement} */ (
    h('input', { id: 'edit-fleet', value: device.fleet ?? '', pattern: '[A-Za-z0-9_.\\-]{1,64}', placeholder: 'none' })
  );
  const deployed = /** @type {HTMLInputElement} */ (h('input', { id: 'edit-deployed', type: 'datetime-local', step: '1', value: deployedValue }));
  const system = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'edit-system' },
      systemValue === null ? h('option', { value: '', selected: true }, 'custom system (edit through the API)') : null,
      ...catalogue.systems.map((/** @type {any} */ s) => h('option', { value: s.id, selected: s.id === systemValue }, `${s.label} (${s.id})`)),
    )
  );
  /** @type {Map<string, any[]>} */
  const byDataset = new Map();
  for (const grid of grids) byDataset.set(grid.dataset, [...(byDataset.get(grid.dataset) ?? []), grid]);
  const grid = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'edit-grid' },
      ...[...byDataset].map(([dataset, list]) =>
        h(
          'optgroup',
          { label: dataset },
          ...list.map((g) => h('option', { value: g.id, selected: g.id === gridValue }, `${g.label} · ${g.kgCO2ePerKWh} kg/kWh · ${g.year}`)),
        ),
      ),
    )
  );
  const lifetime = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'edit-lifetime',
      type: 'number',
      min: '0.1',
      max: '50',
      step: 'any',
      value: String(device.spec.lifetimeYears ?? footprint.lifetimeYears),
      required: true,
    })
  );
  const token = /** @type {HTMLInputElement} */ (h('input', { id: 'edit-token', type: 'password', autocomplete: 'off' }));
  const tokenField = h('label', { class: 'field', hidden: storedToken() !== null }, h('span', null, 'API token'), token);
  const message = h('p', { id: 'edit-message', role: 'status' });
  let initial = { name: name.value, fleet: fleet.value, deployed: deployed.value, system: system.value, grid: grid.value, lifetime: lifetime.value };

  /** @returns {Record<string, unknown>} */
  function changes() {
    /** @type {Record<string, unknown>} */
    const body = {};
    if (name.value !== initial.name) body['name'] = name.value;
    if (fleet.value !== initial.fleet) body['fleet'] = fleet.value === '' ? null : fleet.value;
    if (deployed.value !== initial.deployed) body['deployedAt'] = deployed.value === '' ? null : new Date(deployed.value).toISOString();
    if (system.value !== initial.system && system.value !== '') body['system'] = system.value;
    if (grid.value !== initial.grid) body['grid'] = grid.value;
    if (lifetime.value !== initial.lifetime) body['lifetimeYears'] = Number(lifetime.value);
    return body;
  }

  async function save() {
    const body = changes();
    if (Object.keys(body).length === 0) {
      message.textContent = 'Nothing changed.';
      return;
    }
    const bearer = storedToken() ?? token.value.trim();
    if (bearer === '') {
      tokenField.hidden = false;
      message.textContent = 'The API token is needed to save (serve prints where it is: <data-dir>/api-token).';
      token.focus();
      return;
    }
    message.textContent = 'Saving…';
    const response = await fetch(`/api/devices/${encodeURIComponent(device.id)}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => null);
    if (response.status === 401) {
      storeToken(null);
      tokenField.hidden = false;
      token.value = '';
      message.textContent = 'The API token was refused: enter it again.';
      token.focus();
      return;
    }
    if (!response.ok) {
      const detail = answer && typeof answer.detail === 'string' ? answer.detail : response.statusText;
      const errors = answer && Array.isArray(answer.errors) ? `: ${answer.errors.join('; ')}` : '';
      message.textContent = `Not saved: ${detail}${errors}`;
      return;
    }
    storeToken(bearer);
    tokenField.hidden = true;
    initial = { name: name.value, fleet: fleet.value, deployed: deployed.value, system: system.value, grid: grid.value, lifetime: lifetime.value };
    message.textContent = `Saved ${Object.keys(body).join(', ')}.`;
    deps.onSaved(answer);
  }

  /** @param {string} label @param {HTMLElement} input @param {string} [hint] */
  const field = (label, input, hint) => h('label', { class: 'field' }, h('span', null, label, hint ? h('small', { class: 'muted' }, ` ${hint}`) : null), input);
  return h(
    'details',
    { class: 'panel device-edit', id: 'device-edit' },
    h('summary', null, 'Edit device'),
    h(
      'form',
      { onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), void save()) },
      field('Name', name),
      field('Fleet', fleet, '(letters, digits, _ . -)'),
      field('Deployed at', deployed, '(local time; empty: not deployed)'),
      field('System', system),
      field('Grid', grid),
      field('Lifetime', lifetime, '(years)'),
      tokenField,
      h('button', { type: 'submit', id: 'edit-save' }, 'Save'),
      message,
    ),
  );
}
