import { randomBytes } from 'node:crypto';
import type { Catalogue } from '../model/catalogue-types.js';
import { footprintFromPlan, type FootprintPlan, type FootprintResult, type PowerInput } from '../model/footprint.js';
import type { PerInferenceBasis } from '../model/per-inference.js';
import { PowerPlan, type PowerParts } from './footprint-power.js';

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
  /** `path`: where the value sits in the result (keys and stage indices); given when building only, else empty. */
  put: (value: unknown, path: readonly (string | number)[]) => unknown;
}

type Path = readonly (string | number)[];
const NO_PATH: Path = [];

/** `object`'s keys not in `constant` given to put (or to `inner[key]`), in the object's key order. */
function split(
  object: object,
  constant: ReadonlySet<string>,
  visitor: Visitor,
  path: Path,
  inner?: Readonly<Record<string, (value: unknown, path: Path) => unknown>>,
): Record<string, unknown> | null {
  const out: Record<string, unknown> | null = visitor.build ? {} : null;
  const record = object as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    const special = inner?.[key];
    const at = visitor.build ? [...path, key] : NO_PATH;
    const next = special !== undefined ? special(value, at) : constant.has(key) ? value : visitor.put(value, at);
    if (out !== null) out[key] = next;
  }
  return out;
}

/**
 * The result with every power-dependent value replaced by put(value), in JSON order. The first `constantStages`
 * stages are the training share and the blocks (their values are the spec's, their share is not).
 */
function shape(result: FootprintResult, constantStages: number, visitor: Visitor): Record<string, unknown> | null {
  const within = (path: Path, index: number): Path => (visitor.build ? [...path, index] : NO_PATH);
  return split(result, CONSTANT_RESULT_KEYS, visitor, NO_PATH, {
    stages: (stages, path) =>
      (stages as FootprintResult['stages']).map((stage, index) =>
        split(stage, index < constantStages ? CONSTANT_STAGE_KEYS : (CONSTANT_LATER_STAGE_KEYS[stage.id] ?? NO_CONSTANT_KEYS), visitor, within(path, index)),
      ),
    // null or not is the spec's (a rechargeable battery or not), whatever the power
    battery: (battery, path) => (battery === null ? null : split(battery as object, CONSTANT_BATTERY_KEYS, visitor, path)),
    comparison: (comparison, path) =>
      split(comparison as object, CONSTANT_COMPARISON_KEYS, visitor, path, {
        referenceDevices: (devices, path) => (devices as object[]).map((device, index) => split(device, CONSTANT_REFERENCE_KEYS, visitor, within(path, index))),
      }),
  });
}

/** The parts of a result's shape that are lists or optional: the slots' paths are the sample's while these are. */
interface Outline {
  stageIds: string;
  battery: boolean;
  referenceDevices: number;
}

function outlineOf(result: FootprintResult): Outline {
  let stageIds = '';
  for (const stage of result.stages) stageIds += `${stage.id}\u0000`;
  return { stageIds, battery: result.battery !== null, referenceDevices: result.comparison.referenceDevices.length };
}

function sameOutline(a: Outline, b: Outline): boolean {
  return a.stageIds === b.stageIds && a.battery === b.battery && a.referenceDevices === b.referenceDevices;
}

/** Raised when a template would not give JSON.stringify's bytes: a defect in this file, never a client's error. */
export class TemplateMismatchError extends Error {}

/** A footprint of a template's spec at one power: the model's result and its JSON as UTF-8. */
export interface RenderedFootprint {
  result: FootprintResult;
  /** JSON.stringify(result) as UTF-8. */
  bytes: Buffer;
}

/** A footprint's bytes and what per-inference figures read of it, without the model's whole result. */
export interface ServedBytes {
  /** JSON.stringify(footprintFromPlan(…)) as UTF-8. */
  bytes: Buffer;
  basis: PerInferenceBasis;
}

/** Reads one slot's value from a footprint's power parts (the model's result is not built). */
type PartGetter = (parts: PowerParts) => unknown;

/**
 * Powers at which a template's parts render is compared with the model's when it is built (each kind of power, no
 * power, tiny and large ones, one the model refuses): a spec whose parts differ anywhere there renders through the
 * model instead.
 */
const PROBE_POWERS: readonly PowerInput[] = [
  { kind: 'given', powerW: 0 },
  { kind: 'measured', powerW: 1e-7, observedS: 10, samples: 1, windows: 1 },
  { kind: 'measured', powerW: 0.000123, observedS: 123.5, samples: 1_235, windows: 12 },
  { kind: 'given', powerW: 0.0272 },
  { kind: 'measured', powerW: 0.5, observedS: 1e6, samples: 1e8, windows: 1e5 },
  { kind: 'given', powerW: 3.3 },
  { kind: 'given', powerW: -1 },
];

/**
 * The getter of the slot at `path` (as the sample's walk found it), or null for a slot the parts do not hold: the
 * spec then renders through the model. `constantStages`: the training share and the blocks.
 */
function partGetter(catalogue: Catalogue, plan: PowerPlan, path: Path, constantStages: number): PartGetter | null {
  const [first, second, third, fourth] = path;
  if (path.length === 1) {
    switch (first) {
      case 'power':
        return (parts) => parts.power;
      case 'totalKgCO2e':
        return (parts) => parts.totalKgCO2e;
      case 'totalRange':
        return (parts) => parts.totalRange;
      case 'byGroup':
        return (parts) => parts.byGroup;
      case 'use':
        return (parts) => parts.use;
      case 'assumptions':
        return (parts) => parts.assumptions;
      case 'accrued':
        return () => null;
      default:
        return null;
    }
  }
  if (first === 'battery' && path.length === 2 && typeof second === 'string') {
    return (parts) => (parts.battery as Record<string, unknown> | null)?.[second];
  }
  if (first === 'stages' && path.length === 3 && typeof second === 'number' && typeof third === 'string') {
    if (third === 'share') {
      if (second < constantStages) {
        const kg = plan.constantKg[second]!;
        return (parts) => (parts.totalKgCO2e > 0 ? kg / parts.totalKgCO2e : 0);
      }
      const at = second - constantStages;
      return (parts) => (parts.totalKgCO2e > 0 ? parts.later[at]!.kgCO2e / parts.totalKgCO2e : 0);
    }
    if (second < constantStages) return null;
    const at = second - constantStages;
    return (parts) => (parts.later[at] as Record<string, unknown> | undefined)?.[third];
  }
  if (first === 'comparison' && second === 'referenceDevices' && typeof third === 'number' && fourth === 'ratio' && path.length === 4) {
    const reference = catalogue.referenceDevices[third];
    if (reference === undefined) return null;
    const kgCO2e = reference.kgCO2e;
    return (parts) => parts.totalKgCO2e / kgCO2e;
  }
  return null;
}

/** The footprints of one planned spec (accrued null: the time since deployment is spliced by the caller). */
export class FootprintTemplate {
  private constructor(
    private readonly catalogue: Catalogue,
    readonly plan: FootprintPlan,
    /** The spec's bytes: one more than there are power's values. */
    private readonly chunks: readonly Buffer[],
    private readonly constantStages: number,
    /** Where each power's value sits in a result, in slot order (from the sample's walk). */
    private readonly paths: readonly Path[],
    /** What of a result's outline the paths hold for: the stages' ids, a battery or none, the reference devices. */
    private readonly outline: Outline,
  ) {
    this.chunkBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** The power parts and a getter per slot, when every slot is one of theirs and they render as the model at every probe; else null. */
  private fast: { plan: PowerPlan; getters: readonly PartGetter[] } | null = null;

  /** True when footprints render from the power parts (renderAt), not through the model's result. */
  get rendersFromParts(): boolean {
    return this.fast !== null;
  }

  /** Bytes of the spec's chunks together. */
  private readonly chunkBytes: number;

  /**
   * The template of `plan`, built from its footprint at the seed's assumed power. Checks itself: that footprint
   * rendered equals its JSON.stringify, or TemplateMismatchError.
   */
  static build(catalogue: Catalogue, plan: FootprintPlan): FootprintTemplate {
    const sample = footprintFromPlan(catalogue, plan, { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW });
    const constantStages = 1 + plan.system.blocks.length;
    const nonce = randomBytes(6).toString('hex');
    const markers: string[] = [];
    const paths: Path[] = [];
    const marked = shape(sample, constantStages, {
      build: true,
      put: (_value, path) => {
        const marker = `\u0000slot-${nonce}-${markers.length}\u0000`;
        markers.push(JSON.stringify(marker));
        paths.push(path);
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
    const template = new FootprintTemplate(catalogue, plan, chunks, constantStages, paths, outlineOf(sample));
    const expected = Buffer.from(JSON.stringify(sample), 'utf8');
    if (!template.walkRender(sample).equals(expected) || !template.render(sample).equals(expected)) {
      throw new TemplateMismatchError('the footprint template does not give JSON.stringify(result)');
    }
    template.fast = template.checkedParts();
    return template;
  }

  /** The parts render of this spec, if it gives the model's bytes at every probe power (and refuses where the model does). */
  private checkedParts(): { plan: PowerPlan; getters: readonly PartGetter[] } | null {
    const plan = new PowerPlan(this.catalogue, this.plan);
    const getters: PartGetter[] = [];
    for (const path of this.paths) {
      const getter = partGetter(this.catalogue, plan, path, this.constantStages);
      if (getter === null) return null;
      getters.push(getter);
    }
    const fast = { plan, getters };
    for (const power of [{ kind: 'assumed' as const, powerW: this.catalogue.assumptions.assumedPowerW }, ...PROBE_POWERS]) {
      let expected: string;
      try {
        expected = JSON.stringify(footprintFromPlan(this.catalogue, this.plan, power));
      } catch (modelError) {
        try {
          this.partsRender(fast, power);
        } catch (partsError) {
          if (String(partsError) === String(modelError)) continue;
        }
        return null;
      }
      try {
        if (this.partsRender(fast, power).bytes.toString('utf8') !== expected) return null;
      } catch {
        return null;
      }
    }
    return fast;
  }

  private partsRender(fast: { plan: PowerPlan; getters: readonly PartGetter[] }, power: PowerInput): ServedBytes {
    const parts = fast.plan.parts(power);
    const values: string[] = [];
    for (const getter of fast.getters) {
      const json = JSON.stringify(getter(parts)) as string | undefined;
      if (json === undefined) throw new TemplateMismatchError('a footprint value JSON leaves out (undefined) where the template has a slot');
      values.push(json);
    }
    return {
      bytes: this.assemble(values),
      basis: { totalKgCO2e: parts.totalKgCO2e, byGroup: parts.byGroup, use: parts.use, lifetimeS: this.plan.lifetimeS, grid: this.plan.input.grid },
    };
  }

  /**
   * The footprint's bytes at `power` (the model's ValidationError for a power it refuses) and its per-inference basis:
   * from the power parts when the spec passed their check (a few dozen values, no result of about 100 objects to build
   * and walk), else through the model's result.
   */
  renderAt(power: PowerInput): ServedBytes {
    if (this.fast !== null) return this.partsRender(this.fast, power);
    const { result, bytes } = this.at(power);
    return { bytes, basis: { totalKgCO2e: result.totalKgCO2e, byGroup: result.byGroup, use: result.use, lifetimeS: result.lifetimeS, grid: result.grid } };
  }

  /** The footprint at `power` (the model's ValidationError for a power it refuses) and its bytes. */
  at(power: PowerInput): RenderedFootprint {
    const result = footprintFromPlan(this.catalogue, this.plan, power);
    return { result, bytes: this.render(result) };
  }

  /**
   * JSON.stringify(result) as UTF-8, for a result of this template's plan (at any power). The values are read at the
   * paths the sample's walk found: walking every key of a 12 KB result cost more than writing its values (about 40 of
   * a render's 58 µs). The paths hold while the result's outline is the sample's (the model builds each object from one
   * literal; only the stages, the battery and the reference devices are lists or optional); any other outline is
   * walked key by key, as before.
   */
  private render(result: FootprintResult): Buffer {
    if (!sameOutline(outlineOf(result), this.outline)) return this.walkRender(result);
    const values: string[] = [];
    for (const path of this.paths) {
      let value: unknown = result;
      for (const key of path) value = (value as Record<string | number, unknown>)[key];
      const json = JSON.stringify(value) as string | undefined;
      if (json === undefined) throw new TemplateMismatchError('a footprint value JSON leaves out (undefined) where the template has a slot');
      values.push(json);
    }
    return this.assemble(values);
  }

  /** The render by walking every key of the result (the paths' check at build, and any result of another outline). */
  private walkRender(result: FootprintResult): Buffer {
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
    return this.assemble(values);
  }

  /**
   * The spec's chunks with the values between them. The values are encoded with one call, after the chunks' bytes, and
   * each is then moved to its place (copyWithin, front to back: a value's place ends before its bytes begin): a native
   * call per value and chunk (byteLength, write, copy: 115 for a preset) cost more than the values' JSON.
   */
  private assemble(values: readonly string[]): Buffer {
    const joined = values.join('');
    const valueBytes = Buffer.byteLength(joined, 'utf8');
    const out = Buffer.allocUnsafe(this.chunkBytes + valueBytes);
    out.write(joined, this.chunkBytes, valueBytes, 'utf8');
    // Every value ASCII (numbers, ids, most notes): its bytes are its characters.
    const ascii = valueBytes === joined.length;
    let at = 0;
    let from = this.chunkBytes;
    for (let index = 0; index < values.length; index += 1) {
      const chunk = this.chunks[index]!;
      out.set(chunk, at);
      at += chunk.length;
      const value = values[index]!;
      const length = ascii ? value.length : Buffer.byteLength(value, 'utf8');
      out.copyWithin(at, from, from + length);
      at += length;
      from += length;
    }
    out.set(this.chunks[values.length]!, at);
    return out;
  }
}
