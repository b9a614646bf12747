/** Times on the device view: local wall clock to the millisecond (window starts are ms), and short range labels. */

/** @param {number} n @param {number} width */
function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** "2026-12-01 14:03:27.125" in local time. @param {number} ms epoch ms */
export function timestampMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "14:03:27" in local time. @param {number} ms epoch ms */
export function clockTime(ms) {
  if (!Number.isFinite(ms)) return '–';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The value of an <input type="datetime-local"> for epoch ms (local time, to the second). @param {number} ms */
export function datetimeLocalValue(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
