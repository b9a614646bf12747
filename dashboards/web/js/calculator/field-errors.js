/**
 * The calculator's API errors, each put beside the field it is about and said in that field's unit: the server
 * speaks its query vocabulary ("years: Too small: expected number to be >0", 'power "-5mW" is negative'); the form
 * speaks "Lifetime must be more than 0 years".
 */

/**
 * @typedef {'power' | 'years' | 'trainingDevices' | 'grid' | 'system' | 'training'} CalcField
 * @typedef {{ field: CalcField | null, text: string }} FieldError
 */

/** Each query field: its label in the form and its unit (as written after a number; '' for counts). */
export const CALC_FIELDS = /** @type {const} */ ({
  power: { label: 'Average power', unit: 'mW' },
  years: { label: 'Lifetime', unit: 'years' },
  trainingDevices: { label: 'Devices per training run', unit: '' },
  grid: { label: 'Grid', unit: '' },
  system: { label: 'Preset', unit: '' },
  training: { label: 'Training', unit: '' },
});

/** @param {number | string} value @param {string} unit */
function withUnit(value, unit) {
  return unit === '' ? String(value) : `${value} ${unit}`;
}

/**
 * One server message → the field it names and the text to show there.
 * @param {string} message e.g. "years: Too small: expected number to be >0" or 'power "-5mW" is negative'
 * @returns {FieldError}
 */
export function fieldError(message) {
  const prefixed = /^([A-Za-z]+): (.*)$/.exec(message);
  if (prefixed && prefixed[1] && prefixed[1] in CALC_FIELDS) {
    const field = /** @type {CalcField} */ (prefixed[1]);
    return { field, text: rephrase(field, prefixed[2] ?? '') };
  }
  const power = /^power "([^"]*)" (.*)$/.exec(message);
  if (power) {
    const rest = power[2] ?? '';
    if (rest === 'is negative') return { field: 'power', text: `${CALC_FIELDS.power.label} must be at least ${withUnit(0, CALC_FIELDS.power.unit)}` };
    return { field: 'power', text: `${CALC_FIELDS.power.label} ${rest}` };
  }
  if (/^unknown grid /.test(message)) return { field: 'grid', text: message };
  if (/^unknown system /.test(message)) return { field: 'system', text: message };
  if (/^unknown training /.test(message)) return { field: 'training', text: message };
  return { field: null, text: message };
}

/** zod's wording for a number's bounds, in the field's words and unit. @param {CalcField} field @param {string} text */
function rephrase(field, text) {
  const { label, unit } = CALC_FIELDS[field];
  const small = /^Too small: expected number to be (>=?)(\S+)$/.exec(text);
  if (small) return `${label} must be ${small[1] === '>=' ? 'at least' : 'more than'} ${withUnit(small[2] ?? '', unit)}`;
  const big = /^Too big: expected number to be (<=?)(\S+)$/.exec(text);
  if (big) return `${label} must be ${big[1] === '<=' ? 'at most' : 'less than'} ${withUnit(big[2] ?? '', unit)}`;
  return `${label}: ${text}`;
}

/**
 * Every error of a problem+json body, grouped by field (null: not about one field).
 * @param {{ detail: string, errors: string[] }} problem
 * @returns {FieldError[]}
 */
export function fieldErrors(problem) {
  const listed = problem.errors.map(fieldError);
  // "invalid calculation query" + one entry per field: the entries say it all. Otherwise the detail is the error and
  // the entries are hints (e.g. the grids one may name).
  if (listed.length > 0 && listed.every((error) => error.field !== null)) return listed;
  return [fieldError(problem.detail), ...listed];
}
