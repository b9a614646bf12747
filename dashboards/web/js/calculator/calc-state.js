/**
 * Calculator state <-> URL query (the hash's query), in the API's own vocabulary, so a shared link and
 * GET /api/calculate take the same parameters: system, blocks ("processing:1,casing=0.5"), power ("27mW"), grid,
 * years, training, trainingDevices.
 */

/**
 * @typedef {{ level: number } | { kgCO2e: number }} BlockOverride
 * @typedef {{ system: string, blocks: Record<string, BlockOverride>, powerMw: string, grid: string, years: string,
 *   training: string, trainingDevices: string }} CalcState
 */

/** The seed's default preset: keyword spotting, typical. */
export const DEFAULT_SYSTEM = 'kws-typical';

/** @param {string} text @returns {Record<string, BlockOverride>} */
export function parseBlocks(text) {
  /** @type {Record<string, BlockOverride>} */
  const blocks = {};
  for (const part of text.split(',')) {
    const match = /^([a-z-]+)([:=])([0-9.eE+-]+)$/.exec(part.trim());
    if (match === null) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value) || value < 0) continue;
    blocks[/** @type {string} */ (match[1])] = match[2] === ':' ? { level: Math.trunc(value) } : { kgCO2e: value };
  }
  return blocks;
}

/** @param {Record<string, BlockOverride>} blocks */
export function formatBlocks(blocks) {
  return Object.entries(blocks)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, choice]) => ('level' in choice ? `${id}:${choice.level}` : `${id}=${choice.kgCO2e}`))
    .join(',');
}

/** @param {URLSearchParams} params @returns {CalcState} */
export function stateFromParams(params) {
  const power = params.get('power') ?? '';
  return {
    system: params.get('system') || DEFAULT_SYSTEM,
    blocks: parseBlocks(params.get('blocks') ?? ''),
    powerMw: power.replace(/\s*mW$/i, ''),
    grid: params.get('grid') ?? params.get('region') ?? '',
    years: params.get('years') ?? '',
    training: params.get('training') ?? '',
    trainingDevices: params.get('trainingDevices') ?? '',
  };
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
