/** JSON over the service's own API (same origin). Errors carry the problem+json detail. */

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {{ detail?: string, errors?: string[] }} [problem] the problem+json body */
  constructor(status, message, problem) {
    super(message);
    this.status = status;
    /** The server's detail and per-field errors, for a view that shows each error beside its field. */
    this.problem = { detail: problem?.detail ?? message, errors: problem?.errors ?? [] };
  }
}

/**
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function getJson(path, signal) {
  const response = await (takePrefetched(path) ?? fetch(path, { headers: { accept: 'application/json' }, signal }));
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && typeof body.detail === 'string' ? body.detail : response.statusText;
    const errors = body && Array.isArray(body.errors) ? `: ${body.errors.join('; ')}` : '';
    throw new ApiError(response.status, `${detail}${errors}`, {
      detail,
      errors: body && Array.isArray(body.errors) ? body.errors.filter((/** @type {unknown} */ e) => typeof e === 'string') : [],
    });
  }
  return body;
}

/**
 * The answer index.html's prefetch.js asked for at this path before the modules loaded, once (a later call fetches).
 * @param {string} path @returns {Promise<Response> | undefined}
 */
function takePrefetched(path) {
  /** @type {Record<string, Promise<Response>> | undefined} */
  const prefetched = /** @type {any} */ (window).__prefetch;
  if (prefetched === undefined) return undefined;
  const response = prefetched[path];
  if (response !== undefined) delete prefetched[path];
  return response;
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
