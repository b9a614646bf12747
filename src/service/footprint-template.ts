import { randomBytes } from 'node:crypto';
import type { Catalogue } from '../model/catalogue-types.js';
import { footprintFromPlan, type FootprintPlan, type FootprintResult, type PowerInput } from '../model/footprint.js';

/**
 * Most of a footprint's JSON (about 11 of its 12 KB: the blocks' stages with their sources, the grid, the training,
 * the battery's sources, the reference devices) depends on the spec alone; what the power changes is a few dozen small
 * values (shares, totals, the use and battery figures, the notes). A FootprintTemplate keeps the spec's parts as
 * encoded bytes and writes the power's parts between them, so a footprint of a new power summary costs the model's
 * stages and the small values' JSON, not a 12 KB JSON.stringify and its encoding.
 *
 * The power's parts are named below by what stays constant (a key not listed is a power's part): a field the model
 * adds later is written per power, never frozen by mistake. A template checks itself against JSON.stringify when built,
 * and renders only footprints of its own plan (it computes them).
 */

/** Keys of the result that depend on the spec alone. */
const CONSTANT_RESULT_KEYS = new Set(['system', 'lifetimeYears', 'lifetimeS', 'grid', 'training']);
/** Keys of a training or block stage that depend on the spec alone (its share of the total moves with the power). */
const CONSTANT_STAGE_KEYS = new Set(['id', 'label', 'group', 'level', 'provenance', 'kgCO2e', 'range']);
/** Keys of the battery outcome taken from the pack's parameters (at the system's scenario), not from the drain. */
const CONSTANT_BATTERY_KEYS = new Set([
  'capacityWh',
  'cycleLife',
  'calendarLifeYears',
  'selfDischargePerMonth',
  'meanStateOfCharge',
  'packKgCO2e',
  'provenance',
  'sources',
]);
const CONSTANT_COMPARISON_KEYS = new Set(['assumed']);
const CONSTANT_REFERENCE_KEYS = new Set(['id', 'label', 'kgCO2e', 'provenance']);

/** Keys of the stages after the blocks (battery replacements, use, end of life) that depend on the spec alone, by stage. */
const CONSTANT_LATER_STAGE_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  // its provenance carries the note of the packs worn out, which follows the power
  'battery-replacements': new Set(['id', 'label', 'group', 'level']),
  use: new Set(['id', 'label', 'group', 'level', 'provenance']),
  'end-of-life': new Set(['id', 'label', 'group', 'kgCO2e', 'level', 'provenance']),
};
const NO_CONSTANT_KEYS: ReadonlySet<string> = new Set();

/**
 * Receives each power-dependent value in JSON order. When `build` is true, `split` returns the object with each such
 * value replaced by put's answer (for the template's markers); when false it only visits (for a render) and returns null.
 */
interface Visitor {
  build: boolean;
  put: (value: unknown) => unknown;
}

/** `object`'s keys not in `constant` given to put (or to `inner[key]`), in the object's key order. */
function split(
  object: object,
  constant: ReadonlySet<string>,
  visitor: Visitor,
  inner?: Readonly<Record<string, (value: unknown) => unknown>>,
): Record<string, unknown> | null {
  const out: Record<string, unknown> | null = visitor.build ? {} : null;
  const record = object as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    const special = inner?.[key];
    const next = special !== undefined ? special(value) : constant.has(key) ? value : visitor.put(value);
    if (out !== null) out[key] = next;
  }
  return out;
}

/**
 * The result with every power-dependent value replaced by put(value), in JSON order. The first `constantStages`
 * stages are the training share and the blocks (their values are the spec's, their share is not).
 */
function shape(result: FootprintResult, constantStages: number, visitor: Visitor): Record<string, unknown> | null {
  return split(result, CONSTANT_RESULT_KEYS, visitor, {
    stages: (stages) =>
      (stages as FootprintResult['stages']).map((stage, index) =>
        split(stage, index < constantStages ? CONSTANT_STAGE_KEYS : (CONSTANT_LATER_STAGE_KEYS[stage.id] ?? NO_CONSTANT_KEYS), visitor),
      ),
    // null or not is the spec's (a rechargeable battery or not), whatever the power
    battery: (battery) => (battery === null ? null : split(battery as object, CONSTANT_BATTERY_KEYS, visitor)),
    comparison: (comparison) =>
      split(comparison as object, CONSTANT_COMPARISON_KEYS, visitor, {
        referenceDevices: (devices) => (devices as object[]).map((device) => split(device, CONSTANT_REFERENCE_KEYS, visitor)),
      }),
  });
}

/** Raised when a template would not give JSON.stringify's bytes: a defect in this file, never a client's error. */
export class TemplateMismatchError extends Error {}

/** A footprint of a template's spec at one power: the model's result and its JSON as UTF-8. */
export interface RenderedFootprint {
  result: FootprintResult;
  /** JSON.stringify(result) as UTF-8. */
  bytes: Buffer;
}

/** The footprints of one planned spec (accrued null: the time since deployment is spliced by the caller). */
export class FootprintTemplate {
  private constructor(
    private readonly catalogue: Catalogue,
    readonly plan: FootprintPlan,
    /** The spec's bytes: one more than there are power's values. */
    private readonly chunks: readonly Buffer[],
    private readonly constantStages: number,
  ) {}

  /**
   * The template of `plan`, built from its footprint at the seed's assumed power. Checks itself: that footprint
   * rendered equals its JSON.stringify, or TemplateMismatchError.
   */
  static build(catalogue: Catalogue, plan: FootprintPlan): FootprintTemplate {
    const sample = footprintFromPlan(catalogue, plan, { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW });
    const constantStages = 1 + plan.system.blocks.length;
    const nonce = randomBytes(6).toString('hex');
    const markers: string[] = [];
    const marked = shape(sample, constantStages, {
      build: true,
      put: () => {
        const marker = `\u0000slot-${nonce}-${markers.length}\u0000`;
        markers.push(JSON.stringify(marker));
        return marker;
      },
    });
    const json = JSON.stringify(marked);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const marker of markers) {
      const at = json.indexOf(marker, from);
      if (at === -1) throw new TemplateMismatchError('a footprint slot is not where the result order puts it');
      chunks.push(Buffer.from(json.slice(from, at), 'utf8'));
      from = at + marker.length;
    }
    chunks.push(Buffer.from(json.slice(from), 'utf8'));
    const template = new FootprintTemplate(catalogue, plan, chunks, constantStages);
    if (!template.render(sample).equals(Buffer.from(JSON.stringify(sample), 'utf8'))) {
      throw new TemplateMismatchError('the footprint template does not give JSON.stringify(result)');
    }
    return template;
  }

  /** The footprint at `power` (the model's ValidationError for a power it refuses) and its bytes. */
  at(power: PowerInput): RenderedFootprint {
    const result = footprintFromPlan(this.catalogue, this.plan, power);
    return { result, bytes: this.render(result) };
  }

  /** JSON.stringify(result) as UTF-8, for a result of this template's plan (at any power). */
  private render(result: FootprintResult): Buffer {
    const values: string[] = [];
    shape(result, this.constantStages, {
      build: false,
      put: (value) => {
        const json = JSON.stringify(value) as string | undefined;
        if (json === undefined) throw new TemplateMismatchError('a footprint value JSON leaves out (undefined) where the template has a slot');
        values.push(json);
        return value;
      },
    });
    if (values.length !== this.chunks.length - 1) throw new TemplateMismatchError('a footprint of another shape than its template');
    let bytes = this.chunks[0]!.length;
    for (let index = 0; index < values.length; index += 1) bytes += Buffer.byteLength(values[index]!, 'utf8') + this.chunks[index + 1]!.length;
    const out = Buffer.allocUnsafe(bytes);
    let at = this.chunks[0]!.copy(out, 0);
    for (let index = 0; index < values.length; index += 1) {
      at += out.write(values[index]!, at, 'utf8');
      at += this.chunks[index + 1]!.copy(out, at);
    }
    return out;
  }
}
