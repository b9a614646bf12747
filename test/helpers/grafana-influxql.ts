/**
 * What Grafana does to a raw InfluxQL target before it sends it to InfluxDB, for the tests of dashboards/grafana/
 * (Grafana itself is not run: it is not packaged in Debian). Follows Grafana's InfluxDB datasource (InfluxQL mode):
 *
 * - `$timeFilter` and `$__timeFilter` become `time >= <from> and time <= <to>`, each end either `now() - <n><unit>` for
 *   a relative end (`now-6h`), `now()` for `now`, or `<epoch ms>ms` for an absolute one.
 * - `$__interval` (and the older `$interval`) become the panel's interval: the range divided by the panel's max data
 *   points (Grafana uses the panel's width in pixels unless the panel sets `maxDataPoints`), rounded to the next
 *   "clear" step of Grafana's table (10 ms … 1 y), and never below the panel's `interval` (min interval) nor the
 *   datasource's `timeInterval`; written as Grafana writes it (`500ms`, `10s`, `5m`, `1h`, `1d`). `$__interval_ms` is
 *   the same in milliseconds.
 * - A template variable `$name` / `${name}` of a `multi` or `includeAll` variable becomes its values regex-escaped,
 *   one value as itself, several as `(a|b|c)`: the dashboards use it as `"device" =~ /^$device$/`. A single-value
 *   variable becomes its value unchanged.
 */

/** Grafana's interval ladder (ms): below the first bound of a row the interval is the row's step. */
const INTERVAL_LADDER_MS: readonly (readonly [bound: number, step: number])[] = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];
const ONE_YEAR_MS = 31_536_000_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: ONE_YEAR_MS };

export function roundIntervalMs(intervalMs: number): number {
  for (const [bound, step] of INTERVAL_LADDER_MS) if (intervalMs < bound) return step;
  return ONE_YEAR_MS;
}

/** `10s`, `5m`, `500ms`: the largest unit that divides the interval, as Grafana's secondsToHms writes round steps. */
export function formatInterval(ms: number): string {
  for (const unit of ['y', 'w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `10s` → 10 000; `>10s` (Grafana's "at least" form) too. */
export function parseDurationMs(text: string): number {
  const match = /^>?(\d+)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (match === null) throw new Error(`not a Grafana duration: ${text}`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

export type TimeEnd = 'now' | `now-${number}${'s' | 'm' | 'h' | 'd'}` | number;

export interface GrafanaRange {
  from: TimeEnd;
  to: TimeEnd;
}

function influxTime(end: TimeEnd): string {
  if (typeof end === 'number') return `${end}ms`;
  if (end === 'now') return 'now()';
  const match = /^now-(\d+)([smhd])$/.exec(end);
  if (match === null) throw new Error(`unsupported time range end ${end}`);
  return `now() - ${match[1]}${match[2]}`;
}

function endMs(end: TimeEnd, nowMs: number): number {
  if (typeof end === 'number') return end;
  if (end === 'now') return nowMs;
  return nowMs - parseDurationMs(end.slice('now-'.length));
}

export function timeFilter(range: GrafanaRange): string {
  return `time >= ${influxTime(range.from)} and time <= ${influxTime(range.to)}`;
}

export interface IntervalInput {
  range: GrafanaRange;
  nowMs: number;
  maxDataPoints: number;
  /** The panel's `interval` or the datasource's `timeInterval` (min interval), e.g. `10s` or `>10s`. */
  minInterval?: string;
}

export function panelIntervalMs(input: IntervalInput): number {
  const spanMs = endMs(input.range.to, input.nowMs) - endMs(input.range.from, input.nowMs);
  const rounded = roundIntervalMs(spanMs / input.maxDataPoints);
  const floor = input.minInterval === undefined ? 0 : parseDurationMs(input.minInterval);
  return Math.max(rounded, floor);
}

export function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

export interface TemplateVariable {
  name: string;
  multi: boolean;
  includeAll: boolean;
  /** The selected values (for All: every value the variable's query returned). */
  values: readonly string[];
}

function variableText(variable: TemplateVariable): string {
  if (!variable.multi && !variable.includeAll) return variable.values[0] ?? '';
  const escaped = variable.values.map(regexEscape);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}

export interface InterpolateInput extends IntervalInput {
  variables: readonly TemplateVariable[];
}

/** The query text Grafana would send for this raw InfluxQL target. Throws on a `$name` nothing defines. */
export function interpolate(query: string, input: InterpolateInput): string {
  const intervalMs = panelIntervalMs(input);
  const builtIns: Record<string, string> = {
    timeFilter: timeFilter(input.range),
    __timeFilter: timeFilter(input.range),
    __interval: formatInterval(intervalMs),
    interval: formatInterval(intervalMs),
    __interval_ms: String(intervalMs),
  };
  return query.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const builtIn = builtIns[name];
    if (builtIn !== undefined) return builtIn;
    const variable = input.variables.find((v) => v.name === name);
    if (variable === undefined) throw new Error(`query uses ${whole}, which is neither a Grafana built-in nor a template variable: ${query}`);
    return variableText(variable);
  });
}
