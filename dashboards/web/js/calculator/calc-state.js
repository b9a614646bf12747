/**
 * Calculator state <-> URL query (the hash's query), in the API's own vocabulary, so a shared link and
 * GET /api/calculate take the same parameters: system, blocks ("processing:1,casing=0.5"), power ("27mW"), grid,
 * years, training, trainingDevices.
 */

/**
 * @typedef {{ level: number } | { kgCO2e: number }} BlockOverride
 * @typedef {{ system: string, blocks: Record<string, BlockOverride>, powerMw: string, grid: string, years: string,
 *   training: string, trainingDevices: string }} CalcState
 * @typedef {{ state: CalcState, blockErrors: string[] }} ParsedCalcState
 */

/** The seed's default preset: keyword spotting, typical. */
export const DEFAULT_SYSTEM = 'kws-typical';

/**
 * Parse block overrides exactly as the server does (src/service/spec.ts parseBlockOverrides): `block:level` with an
 * integer level, or `block=kgCO2e`, comma-separated. A bad part is never dropped silently nor rounded: it is
 * returned in `errors` (with the server's wording) for the view to show, and left out of `blocks`.
 * @param {string} text
 * @returns {{ blocks: Record<string, BlockOverride>, errors: string[] }}
 */
export function parseBlocks(text) {
  /** @type {Record<string, BlockOverride>} */
  const blocks = {};
  /** @type {string[]} */
  const errors = [];
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)) {
    const match = /^([a-z-]+)([:=])([0-9.eE+-]+)$/.exec(part);
    if (match === null) {
      errors.push(`block override "${part}": use block:level or block=kgCO2e`);
      continue;
    }
    const value = Number(match[3]);
    if (!Number.isFinite(value) || value < 0) {
      errors.push(`block override "${part}": value must be a finite number ≥ 0`);
      continue;
    }
    if (match[2] === ':' && !Number.isInteger(value)) {
      errors.push(`block override "${part}": a level is an integer`);
      continue;
    }
    blocks[/** @type {string} */ (match[1])] = match[2] === ':' ? { level: value } : { kgCO2e: value };
  }
  return { blocks, errors };
}

/** @param {Record<string, BlockOverride>} blocks */
export function formatBlocks(blocks) {
  return Object.entries(blocks)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, choice]) => ('level' in choice ? `${id}:${choice.level}` : `${id}=${choice.kgCO2e}`))
    .join(',');
}

/**
 * The state a link describes, and the block overrides in it that could not be read (shown, not applied).
 * @param {URLSearchParams} params @returns {ParsedCalcState}
 */
export function stateFromParams(params) {
  const power = params.get('power') ?? '';
  const { blocks, errors } = parseBlocks(params.get('blocks') ?? '');
  const state = {
    system: params.get('system') || DEFAULT_SYSTEM,
    blocks,
    powerMw: power.replace(/\s*mW$/i, ''),
    grid: params.get('grid') ?? params.get('region') ?? '',
    years: params.get('years') ?? '',
    training: params.get('training') ?? '',
    trainingDevices: params.get('trainingDevices') ?? '',
  };
  return { state, blockErrors: errors };
}

/** Only what differs from the defaults, so links stay short. @param {CalcState} state */
export function paramsFromState(state) {
  const params = new URLSearchParams();
  params.set('system', state.system);
  const blocks = formatBlocks(state.blocks);
  if (blocks) params.set('blocks', blocks);
  if (state.powerMw.trim() !== '') params.set('power', `${state.powerMw.trim()}mW`);
  if (state.grid) params.set('grid', state.grid);
  if (state.years.trim() !== '') params.set('years', state.years.trim());
  if (state.training) params.set('training', state.training);
  if (state.trainingDevices.trim() !== '') params.set('trainingDevices', state.trainingDevices.trim());
  return params;
}
