import { getJson } from '../api.js';

/** Columns of the CSV, in the API's names and units (ms, s, J, W); `startIso` is startMs in UTC for spreadsheets. */
export const CSV_COLUMNS = /** @type {const} */ ([
  'seq',
  'startMs',
  'startIso',
  'durationS',
  'energyJ',
  'sampleCount',
  'minPowerW',
  'maxPowerW',
  'inferenceCount',
  'source',
  'startStampedBy',
  'instrument',
  'span',
]);
/** Windows read per request (the API's largest page). */
const PAGE = 10_000;
/** At most this many windows in one file (≈ 120 bytes a row: ≈ 60 MB), so a years-long range cannot exhaust the tab. */
export const MAX_CSV_WINDOWS = 500_000;

/** RFC 4180 field: quoted when it holds a comma, quote or line break. @param {unknown} value */
function field(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The device's windows starting in [fromMs, toMs) as CSV text (read page by page from the windows-by-range API).
 * @param {string} deviceId @param {number} fromMs @param {number} toMs
 * @returns {Promise<{ csv: string, windows: number, truncated: boolean }>}
 */
export async function windowsCsv(deviceId, fromMs, toMs) {
  const base = `/api/devices/${encodeURIComponent(deviceId)}/windows?from=${Math.floor(fromMs)}&to=${Math.ceil(toMs)}&limit=${PAGE}`;
  const lines = [CSV_COLUMNS.join(',')];
  let cursor = null;
  let count = 0;
  do {
    const page = await getJson(cursor === null ? base : `${base}&cursor=${cursor}`);
    for (const w of page.windows) {
      const row = { ...w, startIso: new Date(w.startMs).toISOString() };
      lines.push(CSV_COLUMNS.map((column) => field(row[column])).join(','));
      count += 1;
    }
    cursor = page.nextCursor;
  } while (cursor !== null && count < MAX_CSV_WINDOWS);
  return { csv: `${lines.join('\r\n')}\r\n`, windows: count, truncated: cursor !== null };
}

/** Offer text as a file download. @param {string} name @param {string} text */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
