/**
 * Where a footprint cache miss's CPU goes, part by part, in process: the power parts (PowerPlan.parts), each slot's
 * JSON (the slots a FootprintTemplate fills per power, costliest first), the render as a whole (renderAt), and the
 * per-request head and trailer of FootprintCache.serve (device, aggregate, status, power uncertainty, per-inference).
 * Each figure is the median of ROUNDS rounds of process.cpuUsage() over REPEATS calls, at a new power per call where the
 * part reads one. A part's figure in a tight loop can flatter it (what it allocates is collected outside the loop of
 * another part): judge a change by bench/footprint-serve.ts, or by AGAINST below, not by one line here.
 *
 * AGAINST=/work/main npx tsx bench/footprint-miss-parts.ts   also times renderAt of that checkout's footprint-template.ts
 *   in the same process, alternating round by round with this one's, and checks both give the same bytes: host speed
 *   varies several-fold between runs on a shared machine, so a same-process A/B is the fair comparison.
 */
import { buildCatalogue } from '../src/catalogue/load-catalogue.js';
import type { DeviceAggregate } from '../src/domain/types.js';
import { planFootprint, type PowerInput } from '../src/model/footprint.js';
import { powerUncertainty } from '../src/model/power-confidence.js';
import { devicePerInference, deviceStatus, specInput } from '../src/service/device-footprint.js';
import { PowerPlan } from '../src/service/footprint-power.js';
import { FootprintTemplate } from '../src/service/footprint-template.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { BENCH_T0_MS, median, twoWindowAggregate } from './footprint-fixtures.js';

const REPEATS = 20_000;
const ROUNDS = 7;
const T0 = BENCH_T0_MS;

const catalogue = buildCatalogue();
const spec = { ...SEED_DEFAULT_SPEC, system: 'kws-typical' };
const plan = planFootprint(catalogue, specInput(spec));
const template = FootprintTemplate.build(catalogue, plan);
const powerPlan = new PowerPlan(catalogue, plan);
const device = {
  id: 'bench-1',
  name: 'bench-1',
  fleet: 'fleet-1',
  deployedAt: '2025-01-01T00:00:00.000Z',
  spec,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
};

let step = 0;
/** A new measured power per call, as random ids over a large fleet give (bench/footprint-serve.ts's all-miss case). */
function nextPower(): PowerInput & { kind: 'measured' } {
  step += 1;
  return { kind: 'measured', powerW: 0.001 + step * 1e-9, observedS: 20, samples: 2_000, windows: 2 };
}

function aggregateAt(powerW: number): DeviceAggregate {
  return twoWindowAggregate(device.id, powerW);
}

function round(run: () => unknown): number {
  let sink = 0;
  const start = process.cpuUsage();
  for (let call = 0; call < REPEATS; call += 1) sink += run() === undefined ? 0 : 1;
  const used = process.cpuUsage(start);
  if (sink < 0) throw new Error('unreachable');
  return (used.user + used.system) / REPEATS;
}

function measure(run: () => unknown): number {
  round(run); // warm-up
  return median(Array.from({ length: ROUNDS }, () => round(run)));
}

function line(name: string, us: number, extra = ''): void {
  process.stdout.write(`${name.padEnd(44)} ${us.toFixed(2).padStart(7)} µs${extra}\n`);
}

/**
 * renderAt of AGAINST's template and of this one's, in this process, before any part below runs: measured after the
 * part-by-part lines, this checkout's render came out about 8 % slower than an identical copy's (the parts' loops
 * had left its functions' type feedback wider). The order alternates pass by pass (ABBA), so neither always runs
 * on a heap the other has just filled.
 */
async function againstOther(against: string): Promise<void> {
  const other = (await import(`${against}/src/service/footprint-template.ts`)) as { FootprintTemplate: typeof FootprintTemplate };
  const theirs = other.FootprintTemplate.build(catalogue, plan);
  for (let check = 0; check < 50; check += 1) {
    const power = nextPower();
    if (!theirs.renderAt(power).bytes.equals(template.renderAt(power).bytes)) throw new Error(`${against}'s render differs at ${JSON.stringify(power)}`);
  }
  const ours: number[] = [];
  const them: number[] = [];
  for (let pass = 0; pass < ROUNDS + 2; pass += 1) {
    if (pass % 2 === 0) {
      them.push(round(() => theirs.renderAt(nextPower())));
      ours.push(round(() => template.renderAt(nextPower())));
    } else {
      ours.push(round(() => template.renderAt(nextPower())));
      them.push(round(() => theirs.renderAt(nextPower())));
    }
  }
  line(`renderAt, ${against} (same bytes over 50 powers)`, median(them.slice(2)));
  line('renderAt, this checkout, alternating with it', median(ours.slice(2)));
}

const against = process.env.AGAINST;
if (against !== undefined) await againstOther(against);

process.stdout.write(`footprint miss, part by part (kws-typical, renders from parts: ${template.rendersFromParts}); median of ${ROUNDS} × ${REPEATS}\n`);
line(
  'renderAt (the whole footprint body)',
  measure(() => template.renderAt(nextPower())),
);
line(
  '  PowerPlan.parts',
  measure(() => powerPlan.parts(nextPower())),
);

// each slot's JSON at one power (the getters the template holds; read through its private fields, for this bench only)
const internals = template as unknown as { fast: { getters: ((parts: unknown) => unknown)[] } | null; paths: (string | number)[][] };
if (internals.fast !== null) {
  const parts = powerPlan.parts(nextPower());
  const slots = internals.fast.getters.map((getter, index) => ({
    path: internals.paths[index]!.join('.'),
    us: measure(() => JSON.stringify(getter(parts))),
    chars: (JSON.stringify(getter(parts)) as string).length,
  }));
  line(
    `  the ${slots.length} slots' JSON together`,
    slots.reduce((sum, slot) => sum + slot.us, 0),
  );
  for (const slot of slots.sort((a, b) => b.us - a.us).slice(0, 8)) line(`    ${slot.path}`, slot.us, `  (${slot.chars} characters)`);
}

const aggregate = aggregateAt(0.001);
const basis = template.renderAt(nextPower()).basis;
line(
  'head: JSON of the device',
  measure(() => JSON.stringify(device)),
);
line(
  'head: JSON of the aggregate',
  measure(() => JSON.stringify(aggregate)),
);
line(
  'head: status and its JSON',
  measure(() => JSON.stringify(deviceStatus(aggregate, T0 + 86_400_000, 60_000))),
);
line(
  'trailer: power uncertainty and its JSON',
  measure(() => JSON.stringify(powerUncertainty(aggregate))),
);
line(
  'trailer: per-inference figures and their JSON',
  measure(() => JSON.stringify(devicePerInference(basis, aggregate, []))),
);
