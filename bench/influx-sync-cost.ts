/**
 * What influxd 1.6 spends on the statement shapes the fleet sync could send, against a real influxd: BENCH_COST_DEVICES
 * devices (default 1 000) of BENCH_COST_POINTS windows (default 50, one period, 10 s apart) and one registry entry
 * each. Each variant reads every device (requests of 500 ids, `BENCH_COST_IDS_PER_STATEMENT` ids per statement, default
 * 50; the registry read has no WHERE) three times; each line gives influxd's CPU (/proc/<pid>/stat) per device and read.
 * Variants: the aggregate statement (16 functions, GROUP BY time(1h), "device"), one function, 8 functions, 4 functions
 * of one field (does influxd share work between them?), raw reads of the 15 fields (all points, the last 5, none), the
 * 16 functions over a raw subquery, and the registry read with 4 `last()` against 1.
 * `BENCH_COST_VARIANTS=<label prefix>,…` runs only the variants whose label starts with one of them.
 * `npx tsx bench/influx-sync-cost.ts`; `BENCH_COST_IDS_PER_STATEMENT=500 npx tsx bench/influx-sync-cost.ts` for main's.
 */
import { pathToFileURL } from 'node:url';
import { escape } from 'influx';
import { InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { syncWindow, type SyncWindowShape } from './sync-windows.js';
import { cpuMicros, findPid } from './proc-cpu.js';

const DEVICES = Number(process.env.BENCH_COST_DEVICES ?? 1_000);
const POINTS = Number(process.env.BENCH_COST_POINTS ?? 50);
const PER_STATEMENT = Number(process.env.BENCH_COST_IDS_PER_STATEMENT ?? 50);
const IDS_PER_REQUEST = 500;
const READS = 3;
const T0_MS = Date.UTC(2026, 11, 2, 10);
const FIELDS = [
  'energy_j',
  'duration_s',
  'samples',
  'inferences',
  'min_power_w',
  'max_power_w',
  'seq',
  'start_ms',
  'end_ms',
  'energy_sq_j2',
  'energy_duration_js',
  'duration_sq_s2',
  'inference_span',
  'instrumented_s',
  'instrument',
];
const RAW = FIELDS.map((field) => `"${field}"`).join(', ');
const SIXTEEN = [
  'sum("energy_j")',
  'sum("duration_s")',
  'count("energy_j")',
  'sum("samples")',
  'sum("inferences")',
  'min("min_power_w")',
  'max("max_power_w")',
  'max("seq")',
  'min("start_ms")',
  'max("end_ms")',
  'sum("energy_sq_j2")',
  'sum("energy_duration_js")',
  'sum("duration_sq_s2")',
  'sum("inference_span")',
  'sum("instrumented_s")',
  'count("instrument")',
];
const ns = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();
const UNTIL = ns(Date.UTC(2262, 0, 1));

const SHAPE: SyncWindowShape = { t0Ms: T0_MS, spacingMs: 10_000, drift: true };

interface Answer {
  results: { series?: { values: unknown[][] }[]; error?: string }[];
}

async function run(): Promise<void> {
  const influxd = await startInfluxd();
  const pid = findPid('influxd', influxd.dir);
  const database = 'bench_cost';
  try {
    const ids = Array.from({ length: DEVICES }, (_, n) => `cost-${String(n).padStart(6, '0')}`);
    const store = new InfluxWindowStore({ url: influxd.url, database });
    const windows = ids.flatMap((id) => Array.from({ length: POINTS }, (_, seq) => syncWindow(id, seq, SHAPE)));
    for (let from = 0; from < windows.length; from += 5_000) await store.writeWindows(windows.slice(from, from + 5_000));
    const entries = ids.map((id, n) => {
      const entry = JSON.stringify({ id, name: 'a device', updatedAt: '2026-12-02T10:00:00.000Z' }).replaceAll('"', '\\"');
      return `device_registry,device=${id} entry="${entry}",instance="bench",updated_ms=${1_764_669_600_000 + n},tie_break=${n}i ${(1_764_669_600_000n + BigInt(n)) * 1_000_000n + BigInt(n)}`;
    });
    await fetch(`${influxd.url}/write?db=${database}`, { method: 'POST', body: entries.join('\n') });
    const query = async (statements: readonly string[]): Promise<number> => {
      const response = await fetch(`${influxd.url}/query?db=${database}&epoch=ms`, { method: 'POST', body: new URLSearchParams({ q: statements.join(';') }) });
      const answer = (await response.json()) as Answer;
      let rows = 0;
      for (const result of answer.results) {
        if (result.error !== undefined) throw new Error(result.error);
        rows += (result.series ?? []).reduce((n, series) => n + series.values.length, 0);
      }
      return rows;
    };
    const everyDevice = async (statement: (where: string) => string): Promise<number> => {
      let rows = 0;
      for (let from = 0; from < ids.length; from += IDS_PER_REQUEST) {
        const statements: string[] = [];
        const end = Math.min(ids.length, from + IDS_PER_REQUEST);
        for (let at = from; at < end; at += PER_STATEMENT) {
          statements.push(
            statement(
              ids
                .slice(at, Math.min(end, at + PER_STATEMENT))
                .map((id) => `"device" = ${escape.stringLit(id)}`)
                .join(' OR '),
            ),
          );
        }
        rows += await query(statements);
      }
      return rows;
    };
    const grouped = (select: string, where: string, time = `time >= 0 AND time <= ${UNTIL}`): string =>
      `SELECT ${select} FROM energy_window WHERE (${where}) AND ${time} GROUP BY time(1h), "device" fill(none)`;
    const lastFive = ns(T0_MS + (POINTS - 5) * 10_000);
    const variants: [string, () => Promise<number>][] = [
      ['aggregate: 16 functions', () => everyDevice((where) => grouped(SIXTEEN.join(', '), where))],
      ['aggregate: 15, no count(instrument)', () => everyDevice((where) => grouped(SIXTEEN.slice(0, 15).join(', '), where))],
      [
        'aggregate: 15, no min(start_ms) (a tail read)',
        () => everyDevice((where) => grouped(SIXTEEN.filter((f) => f !== 'min("start_ms")').join(', '), where)),
      ],
      [
        'aggregate: 14, no count(instrument), min(start_ms)',
        () =>
          everyDevice((where) =>
            grouped(
              SIXTEEN.filter((f) => f !== 'min("start_ms")')
                .slice(0, 14)
                .join(', '),
              where,
            ),
          ),
      ],
      ...[1, 30, 365, 3_650].map((days): [string, () => Promise<number>] => [
        `aggregate: 16, until now + ${days} d`,
        () => everyDevice((where) => grouped(SIXTEEN.join(', '), where, `time >= 0 AND time <= ${ns(Date.now() + days * 86_400_000)}`)),
      ]),
      [
        'aggregate: 16, from the period, until 2262',
        () => everyDevice((where) => grouped(SIXTEEN.join(', '), where, `time >= ${ns(T0_MS)} AND time <= ${UNTIL}`)),
      ],
      ['1 function (sum)', () => everyDevice((where) => grouped(SIXTEEN[0]!, where))],
      ['1 function count(instrument)', () => everyDevice((where) => grouped('count("instrument")', where))],
      [
        'distinct(instrument)',
        () => everyDevice((where) => `SELECT distinct("instrument") FROM energy_window WHERE (${where}) AND time >= 0 AND time <= ${UNTIL} GROUP BY "device"`),
      ],
      ['8 functions', () => everyDevice((where) => grouped(SIXTEEN.slice(0, 8).join(', '), where))],
      ['4 functions of one field', () => everyDevice((where) => grouped('sum("energy_j"), count("energy_j"), min("energy_j"), max("energy_j")', where))],
      ['16 functions, last 5 points', () => everyDevice((where) => grouped(SIXTEEN.join(', '), where, `time > ${lastFive} AND time <= ${UNTIL}`))],
      ['raw 15 fields, every point', () => everyDevice((where) => `SELECT ${RAW} FROM energy_window WHERE (${where}) GROUP BY "device"`)],
      [
        'raw 15 fields, last 5 points',
        () => everyDevice((where) => `SELECT ${RAW} FROM energy_window WHERE (${where}) AND time > ${lastFive} GROUP BY "device"`),
      ],
      ['raw 15 fields, no point', () => everyDevice((where) => `SELECT ${RAW} FROM energy_window WHERE (${where}) AND time > ${UNTIL} GROUP BY "device"`)],
      [
        '16 functions over a subquery',
        () =>
          everyDevice(
            (where) =>
              `SELECT ${SIXTEEN.join(', ')} FROM (SELECT ${RAW} FROM energy_window WHERE (${where}) AND time >= 0 AND time <= ${UNTIL} GROUP BY "device") GROUP BY time(1h), "device" fill(none)`,
          ),
      ],
      [
        'registry: 4 last()',
        () => query(['SELECT last("entry"), last("instance"), last("updated_ms"), last("tie_break") FROM device_registry GROUP BY "device"']),
      ],
      ['registry: 1 last()', () => query(['SELECT last("entry") FROM device_registry GROUP BY "device"'])],
    ];
    const only = process.env.BENCH_COST_VARIANTS?.split(',');
    if (only !== undefined) variants.splice(0, variants.length, ...variants.filter(([label]) => only.some((part) => label.startsWith(part))));
    process.stdout.write(`${DEVICES} devices × ${POINTS} points, ${PER_STATEMENT} ids per statement; influxd CPU per device and read\n`);
    for (let round = 0; round < 2; round += 1) {
      for (const [label, read] of variants) {
        const before = cpuMicros(pid);
        let rows = 0;
        for (let n = 0; n < READS; n += 1) rows = await read();
        process.stdout.write(`  ${label.padEnd(30)} ${((cpuMicros(pid) - before) / READS / DEVICES).toFixed(0).padStart(6)} µs (${rows} rows)\n`);
      }
    }
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
