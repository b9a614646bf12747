/**
 * A device footprint's answer in process, without HTTP: CPU µs per FootprintCache.serve (the bytes of
 * GET /api/devices/:id/footprint and its ETag) over the devices of bench/fleet-load.ts (100 powers, two specs, every
 * other device deployed), in random order: over the whole fleet (bench/fleet-load.ts's random ids: the entry is kept,
 * but at 100 000 devices most devices' own parts are not, MAX_FOOTPRINT_HEADS), over POLLED_DEVICES of them (devices
 * polled by dashboards and clients: entry and device parts kept), and a miss of every request (each its own power:
 * every answer rendered). Each figure is the median of ROUNDS rounds of process.cpuUsage() over REQUESTS serves. It isolates what
 * the service pays per footprint from the HTTP server's share, which bench/fleet-load.ts measures with it.
 *
 * npx tsx bench/footprint-serve.ts [devices]      (default 100000)
 */
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
const ONLINE_THRESHOLD_MS = 60_000;

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
  const cache = new FootprintCache(catalogue);
  const table = Array.from({ length: devices }, (_, index) => ({ device: device(index), aggregate: aggregate(index, distinct) }));
  let bytes = 0;
  const round = (): number => {
    const start = process.cpuUsage();
    for (let request = 0; request < REQUESTS; request += 1) {
      const { device, aggregate } = table[Math.floor(Math.random() * asked)]!;
      const served = cache.serve(device, aggregate, NOW_MS, ONLINE_THRESHOLD_MS);
      bytes += served.byteLength + served.etag.length;
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / REQUESTS;
  };
  round(); // warm-up: JIT, the specs' plans and templates
  const perRequest = median(Array.from({ length: ROUNDS }, round));
  process.stdout.write(
    `${name.padEnd(40)} ${perRequest.toFixed(1).padStart(6)} µs CPU per serve (hits ${cache.hits}, misses ${cache.misses}, device parts kept ${cache.headHits}; ${bytes > 0 ? 'ok' : ''})\n`,
  );
}

const devices = Number(process.argv[2] ?? 100_000);
process.stdout.write(`footprint serve: ${devices} devices, median of ${ROUNDS} rounds of ${REQUESTS} random ids\n`);
measure('fleet-load devices (100 powers)', devices, false);
measure(`the same, ${POLLED_DEVICES} of them polled`, devices, false, Math.min(devices, POLLED_DEVICES));
measure('each device its own power (all misses)', devices, true);
