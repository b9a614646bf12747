/**
 * In what order influxd 1.6 adds a period's float points in `sum()` (the brief's second lever: a client-side fold of a
 * device's new raw points is canonical only if it gives influxd's bits), against a real influxd: points 1 s apart in
 * one period, written in shuffled batches (out-of-order cache inserts), values whose sum depends on the order
 * (12345.678 against 3.3e-7 …), −0 first, some repeated. For one series, and for a device of two series (tag `stamp`), it compares
 * influxd's `sum()` … GROUP BY time(1h), "device" with a left fold in time order from the first point, and with the
 * per-series folds added. The points stay in influxd's cache (no TSM file): what happens across TSM files and
 * compactions is not measured here. `npx tsx bench/influx-sync-sum-order.ts`
 */
import { pathToFileURL } from 'node:url';
import { startInfluxd } from '../test/helpers/influxd.js';

const T0_NS = BigInt(Date.UTC(2026, 11, 2, 10)) * 1_000_000n;
/** Two value sets: mid-range values (the last bits depend on the order) and 1e16 among small ones (whole terms do). */
const MAGNITUDE_SETS = [
  [1, 1e-3, 0.1, 12345.678, 3.3e-7, 7.77],
  [1e16, 1, 1e-3, 0.1, 12345.678, 3.3e-7],
];

interface Point {
  timeNs: bigint;
  value: number;
  series: number;
}

const fold = (values: readonly number[]): number | undefined =>
  values.reduce<number | undefined>((acc, value) => (acc === undefined ? value : acc + value), undefined);

async function run(): Promise<void> {
  const influxd = await startInfluxd();
  const database = 'sum_order';
  try {
    await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${database}` }) });
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const [count, seriesCount, set] of [
      [300, 1, 0],
      [2_000, 1, 0],
      [300, 2, 0],
      [300, 1, 1],
      [300, 2, 1],
    ] as const) {
      const MAGNITUDES = MAGNITUDE_SETS[set]!;
      const device = `d-${count}-${seriesCount}-${set}`;
      const points: Point[] = [];
      for (let n = 0; n < count; n += 1) {
        const value = n === 0 ? -0 : n % 11 === 0 ? points[n - 1]!.value : Number(((random() - 0.3) * MAGNITUDES[n % MAGNITUDES.length]!).toPrecision(17));
        points.push({ timeNs: T0_NS + BigInt(n) * 1_000_000_000n + 17n, value, series: seriesCount === 2 && n % 3 === 0 ? 1 : 0 });
      }
      const lines = points.map(
        (point) => `m,device=${device},stamp=s${point.series} v=${Object.is(point.value, -0) ? '-0' : String(point.value)} ${point.timeNs}`,
      );
      const order = lines.map((_, n) => n).sort(() => random() - 0.5);
      for (let from = 0; from < order.length; from += 97) {
        const body = order
          .slice(from, from + 97)
          .map((n) => lines[n])
          .join('\n');
        const written = await fetch(`${influxd.url}/write?db=${database}`, { method: 'POST', body });
        if (written.status !== 204) throw new Error(await written.text());
      }
      const q = `SELECT sum("v") FROM m WHERE "device" = '${device}' AND time >= 0 AND time <= 9000000000000000000 GROUP BY time(1h), "device" fill(none)`;
      const answer = (await (await fetch(`${influxd.url}/query?db=${database}`, { method: 'POST', body: new URLSearchParams({ q }) })).json()) as {
        results: { series: { values: [string, number][] }[] }[];
      };
      const influxSum = answer.results[0]!.series[0]!.values[0]![1];
      const timeOrder = fold(points.map((point) => point.value))!;
      const writeOrder = fold(order.map((n) => points[n]!.value))!;
      const perSeries = [0, 1]
        .map((series) => fold(points.filter((point) => point.series === series).map((point) => point.value)))
        .filter((sum) => sum !== undefined);
      const combined = perSeries.length === 2 ? [perSeries[0]! + perSeries[1]!, perSeries[1]! + perSeries[0]!] : perSeries;
      process.stdout.write(
        `${count} points, ${seriesCount} series, value set ${set + 1}: influxd ${influxSum}; time-order fold ${timeOrder} (${Object.is(influxSum, timeOrder) ? 'same bits' : 'differs'}); write-order fold ${writeOrder}; ` +
          `per-series folds added ${combined.join(' / ')} (${combined.some((sum) => Object.is(sum, influxSum)) ? 'same bits' : 'differs'})\n`,
      );
    }
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
