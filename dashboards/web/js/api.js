/** JSON over the service's own API (same origin). Errors carry the problem+json detail. */

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function getJson(path, signal) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, signal });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && typeof body.detail === 'string' ? body.detail : response.statusText;
    const errors = body && Array.isArray(body.errors) ? `: ${body.errors.join('; ')}` : '';
    throw new ApiError(response.status, `${detail}${errors}`);
  }
  return body;
}

/** @type {Promise<any> | null} */
let catalogue = null;
/** The catalogue never changes while the service runs: fetch it once. */
export function getCatalogue() {
  catalogue ??= getJson('/api/catalogue');
  return catalogue;
}

/** @type {Promise<any> | null} */
let grids = null;
export function getGrids() {
  grids ??= getJson('/api/catalogue/grids').then((body) => body.grids);
  return grids;
}
