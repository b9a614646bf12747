/**
 * A device footprint's answer in process, without HTTP: CPU µs per FootprintCache.serve (the bytes of
 * GET /api/devices/:id/footprint and its ETag) over the devices of bench/fleet-load.ts (100 powers, two specs, every
 * other device deployed), in random order: over the whole fleet (bench/fleet-load.ts's random ids: the entry is kept,
 * but at 100 000 devices most devices' own parts are not, MAX_FOOTPRINT_HEADS), over POLLED_DEVICES of them (devices
 * polled by dashboards and clients: entry and device parts kept), and a miss of every request (each its own power:
 * every answer rendered). The clock moves REQUEST_STEP_MS per request, so accrued and the tag are new each time, as
 * under load. Each figure is the median of ROUNDS rounds of process.cpuUsage() over REQUESTS serves. It isolates what
 * the service pays per footprint from the HTTP server's share, which bench/fleet-load.ts measures with it.
 *
 * npx tsx bench/footprint-serve.ts [devices]      (default 100000)
 * AGAINST=/path/to/checkout  also that checkout's FootprintCache, in this process over the same devices, its rounds
 *   alternating with this one's (A B B A): host speed varies between runs on a shared machine, so a same-process A/B
 *   is the fair comparison; prints both and their ratio
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCatalogue } from '../src/catalogue/load-catalogue.js';
import type { Device, DeviceAggregate } from '../src/domain/types.js';
import { FootprintCache } from '../src/service/footprint-cache.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { BENCH_T0_MS, median, twoWindowAggregate } from './footprint-fixtures.js';

const REQUESTS = 20_000;
/** Devices asked for again and again in the polled case: fewer than MAX_FOOTPRINT_HEADS, so each one's parts are kept. */
const POLLED_DEVICES = 1_000;
const ROUNDS = 7;
const T0 = BENCH_T0_MS;
const NOW_MS = T0 + 86_400_000;
/** The clock's step per request: 20 000 requests a second. */
const REQUEST_STEP_MS = 0.05;
const ONLINE_THRESHOLD_MS = 60_000;
const AGAINST = process.env['AGAINST'];

/** What the bench calls of a FootprintCache (this checkout's or AGAINST's). */
interface Serving {
  serve: FootprintCache['serve'];
  hits: number;
  misses: number;
  headHits?: number;
}

type Cache = new (catalogue: ReturnType<typeof buildCatalogue>) => Serving;
const Against: Cache | null =
  AGAINST === undefined
    ? null
    : ((await import(pathToFileURL(path.join(path.resolve(AGAINST), 'src/service/footprint-cache.ts')).href)) as { FootprintCache: Cache }).FootprintCache;

const catalogue = buildCatalogue();
const specs = [
  { ...SEED_DEFAULT_SPEC, system: 'kws-typical' },
  { ...SEED_DEFAULT_SPEC, system: 'ic-typical' },
];

function device(index: number): Device {
  return {
    id: `bench-${index}`,
    name: `bench-${index}`,
    fleet: `fleet-${index % 10}`,
    deployedAt: index % 2 === 0 ? '2025-01-01T00:00:00.000Z' : null,
    spec: specs[index % 2]!,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  };
}

/** Two 10 s windows at the power of bench/bench-fleet.ts (or a power of its own per device: `distinct`). */
function aggregate(index: number, distinct: boolean): DeviceAggregate {
  return twoWindowAggregate(`bench-${index}`, distinct ? 0.001 + index * 1e-7 : 0.001 + (index % 100) * 0.0005);
}

function measure(name: string, devices: number, distinct: boolean, asked = devices): void {
  const table = Array.from({ length: devices }, (_, index) => ({ device: device(index), aggregate: aggregate(index, distinct) }));
  let bytes = 0;
  let nowMs = NOW_MS;
  const round = (cache: Serving): number => {
    const start = process.cpuUsage();
    for (let request = 0; request < REQUESTS; request += 1) {
      const { device, aggregate } = table[Math.floor(Math.random() * asked)]!;
      nowMs += REQUEST_STEP_MS;
      const served = cache.serve(device, aggregate, nowMs, ONLINE_THRESHOLD_MS);
      bytes += served.byteLength + served.etag.length;
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / REQUESTS;
  };
  const counts = (cache: Serving): string => `hits ${cache.hits}, misses ${cache.misses}, device parts kept ${cache.headHits ?? 'n/a'}`;
  const ours = new FootprintCache(catalogue);
  if (Against === null) {
    round(ours); // warm-up: JIT, the specs' plans and templates
    const perRequest = median(Array.from({ length: ROUNDS }, () => round(ours)));
    process.stdout.write(`${name.padEnd(40)} ${perRequest.toFixed(1).padStart(6)} µs CPU per serve (${counts(ours)}; ${bytes > 0 ? 'ok' : ''})\n`);
    return;
  }
  const theirs = new Against(catalogue);
  round(theirs);
  round(ours);
  const times = { ours: [] as number[], theirs: [] as number[] };
  for (let pass = 0; pass < ROUNDS; pass += 1) {
    times.theirs.push(round(theirs));
    times.ours.push(round(ours));
    times.ours.push(round(ours));
    times.theirs.push(round(theirs));
  }
  const [a, b] = [median(times.theirs), median(times.ours)];
  process.stdout.write(
    `${name.padEnd(40)} against ${a.toFixed(1).padStart(5)}  this ${b.toFixed(1).padStart(5)} µs CPU per serve, this/against ${(b / a).toFixed(2)} ` +
      `(this: ${counts(ours)}; against: ${counts(theirs)}; ${bytes > 0 ? 'ok' : ''})\n`,
  );
}

const devices = Number(process.argv[2] ?? 100_000);
process.stdout.write(
  `footprint serve: ${devices} devices, median of ${AGAINST === undefined ? ROUNDS : 2 * ROUNDS} rounds of ${REQUESTS} random ids` +
    `${AGAINST === undefined ? '' : ` each, A B B A against ${AGAINST}`}\n`,
);
measure('fleet-load devices (100 powers)', devices, false);
measure(`the same, ${POLLED_DEVICES} of them polled`, devices, false, Math.min(devices, POLLED_DEVICES));
measure('each device its own power (all misses)', devices, true);
