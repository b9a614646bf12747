import { hash, randomBytes } from 'node:crypto';
import type { Device, DeviceAggregate } from '../domain/types.js';
import type { DevicePresence } from '../live/device-presence.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { accruedFigures, planFigures, type FigurePlan } from '../model/footprint-figures.js';
import { planFootprint } from '../model/footprint.js';
import type { PerInferenceBasis } from '../model/per-inference.js';
import { powerUncertainty } from '../model/power-confidence.js';
import type { EnergyWindow } from '../domain/types.js';
import { devicePerInference, deviceStatus, powerFromAggregate, specInput } from './device-footprint.js';
import { FootprintTemplate } from './footprint-template.js';

/**
 * Serialised footprints kept (LRU): each is about 9 KB, so this bounds the cache near 20 MB. One entry serves every
 * device with the same spec and the same power summary (all devices of a preset that have not reported share one).
 */
export const MAX_FOOTPRINT_ENTRIES = 2_000;

/**
 * Slots of the admission filter: a footprint is kept only at the second request for its (spec, power summary) within
 * about this many distinct ones. Random ids over a fleet far larger than the cache would otherwise fill it with entries
 * asked for once, each living long enough to reach the old generation and die there (bench/footprint.ts at 10 000
 * devices: a third of a random id's CPU); an Int32Array keeps the filter itself allocation-free.
 */
export const ADMISSION_SLOTS = 16_384;

/**
 * What GET /api/devices/:id/footprint sends, in three parts: the per-request head (device, aggregate, status), the
 * entry's ready bytes (the footprint up to accrued, about 12 KB, encoded once per entry and not per request), and the
 * per-request tail. A server writes the three as they are; `body` joins them.
 */
export class ServedFootprint {
  constructor(
    readonly head: string,
    readonly prefix: Buffer,
    readonly tail: string,
    /** Strong entity tag (quoted): the same tag means the same bytes. */
    readonly etag: string,
  ) {}

  /** Bytes of the body (Content-Length). */
  get byteLength(): number {
    return Buffer.byteLength(this.head) + this.prefix.length + Buffer.byteLength(this.tail);
  }

  /** The whole body as one string: equals JSON.stringify(deviceFootprint(…)). */
  get body(): string {
    return `${this.head}${this.prefix.toString('utf8')}${this.tail}`;
  }
}

/**
 * Specs whose plans are kept (the model's resolution, the template of the spec's bytes, about 12 KB, and the figures
 * for accrued): shared by every entry of the spec; bounded near 150 MB at worst, oldest forgotten (a fleet of presets
 * has a handful).
 */
export const MAX_FOOTPRINT_PLANS = 10_000;

/** What one spec's footprints share. */
interface SpecPlan {
  template: FootprintTemplate;
  /** For accrued; made at the first deployed device of the spec. */
  figures: FigurePlan | null;
}

interface Entry {
  /** JSON of the footprint without accrued, cut just before accrued's value (`{…,"accrued":`), as UTF-8. */
  prefix: Buffer;
  /** What per-inference figures read of the footprint (its lifetime terms, none of which depend on accrued); not the whole result, which a full cache would keep alive by the thousand. */
  basis: PerInferenceBasis;
}

const ACCRUED_TAIL = 'null}';
const ACCRUED_TAIL_BYTES = Buffer.from(`"accrued":${ACCRUED_TAIL}`, 'utf8');

/** One-shot crypto.hash: half the cost of a createHash object for the ~1 KB hashed per request (same digest). */
function tag(text: string): string {
  return hash('sha1', text, 'base64url').slice(0, 16);
}

/**
 * A device's footprint is a function of its spec and its measured power summary (the aggregate), plus the time since
 * deployment (accrued) and its status now. The first two are computed once per (spec, power summary) and kept as JSON;
 * status and accrued, small and time-dependent, are computed per request (accrued from the spec's resolved figures,
 * equal bit for bit to computeFootprint's) and spliced in. The body equals JSON.stringify(deviceFootprint(…)).
 */
export class FootprintCache {
  private readonly entries = new Map<string, Entry>();
  private readonly plans = new Map<string, SpecPlan>();
  /** A fingerprint of the last key seen per slot (0: none). */
  private readonly seen = new Int32Array(ADMISSION_SLOTS);
  /** JSON of a spec object: the fleet index's devices share one spec object per distinct spec, so this is computed once per spec. */
  private readonly specKeys = new WeakMap<object, string>();
  /** Tags from another run of the service never name this run's entries. */
  private readonly nonce = randomBytes(6).toString('base64url');
  hits = 0;
  misses = 0;

  constructor(private readonly catalogue: Catalogue) {}

  get size(): number {
    return this.entries.size;
  }

  /** True when `key` was asked for recently (its fingerprint is in its slot); else remembers it and answers false. */
  private admit(key: string): boolean {
    let hash = 0x811c9dc5; // FNV-1a, 32 bits
    for (let index = 0; index < key.length; index += 1) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
    const fingerprint = hash | 1; // never 0, the empty slot
    const slot = (hash >>> 0) % ADMISSION_SLOTS;
    if (this.seen[slot] === fingerprint) return true;
    this.seen[slot] = fingerprint;
    return false;
  }

  /** Plan a spec and keep it; the template is built from the footprint at the seed's assumed power. */
  private plan(specKey: string, device: Device): SpecPlan {
    const plan: SpecPlan = { template: FootprintTemplate.build(this.catalogue, planFootprint(this.catalogue, specInput(device.spec))), figures: null };
    if (this.plans.size >= MAX_FOOTPRINT_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(specKey, plan);
    return plan;
  }

  /** Throws the model's ValidationError as deviceFootprint does (a spec that no longer resolves). */
  serve(
    device: Device,
    aggregate: DeviceAggregate | undefined,
    nowMs: number,
    onlineThresholdMs: number,
    presence?: DevicePresence,
    inferenceSpans: readonly EnergyWindow[] = [],
  ): ServedFootprint {
    const power = powerFromAggregate(this.catalogue, aggregate);
    let specKey = this.specKeys.get(device.spec);
    if (specKey === undefined) {
      specKey = JSON.stringify(device.spec);
      this.specKeys.set(device.spec, specKey);
    }
    const key =
      power.kind === 'measured'
        ? `${specKey}|m|${power.powerW}|${power.observedS}|${power.samples}|${power.windows}`
        : `${specKey}|${power.kind}|${power.powerW}`;
    let plan = this.plans.get(specKey);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses += 1;
      plan ??= this.plan(specKey, device);
      // bytes equal JSON.stringify(footprintFromPlan(…)): the spec's parts encoded once per spec, the power's written here
      const { bytes, basis } = plan.template.renderAt(power);
      if (!bytes.subarray(bytes.length - ACCRUED_TAIL_BYTES.length).equals(ACCRUED_TAIL_BYTES)) {
        throw new Error('footprint JSON does not end with accrued: the splice below would be wrong');
      }
      entry = { prefix: bytes.subarray(0, bytes.length - ACCRUED_TAIL.length), basis };
      if (this.admit(key)) {
        if (this.entries.size >= MAX_FOOTPRINT_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(key, entry);
      }
    } else {
      this.hits += 1;
      this.entries.delete(key); // re-inserted last: the map's order is the recency of use
      this.entries.set(key, entry);
    }

    const deployedMs = device.deployedAt === null ? null : Date.parse(device.deployedAt);
    let accrued = 'null';
    if (deployedMs !== null && !Number.isNaN(deployedMs)) {
      // an entry may outlive its spec's plan (plans are forgotten oldest first)
      plan ??= this.plan(specKey, device);
      plan.figures ??= planFigures(this.catalogue, specInput(device.spec));
      accrued = JSON.stringify(accruedFigures(plan.figures, power.powerW, Math.max(0, (nowMs - deployedMs) / 1000)));
    }
    const variable = `{"device":${JSON.stringify(device)},"aggregate":${JSON.stringify(aggregate ?? null)},"status":${JSON.stringify(
      deviceStatus(aggregate, nowMs, onlineThresholdMs, presence),
    )},"footprint":`;
    // Small and per device (uncertainty from the aggregate's sums, the per-inference median from its spans): computed per request.
    const trailer = `,"powerUncertainty":${JSON.stringify(aggregate === undefined ? null : powerUncertainty(aggregate))},"perInference":${JSON.stringify(
      devicePerInference(entry.basis, aggregate, inferenceSpans),
    )}`;
    // The key decides the entry's bytes (one catalogue per process), so it stands for them in the tag: the same tag
    // for the same bytes whether they were kept, rendered again after an eviction, or never admitted. The trailer
    // follows from the entry (the key), the aggregate (in `variable`) and the inference spans, so it is hashed only
    // when there are spans: its ~1.7 KB were two thirds of the bytes hashed per request.
    const tagged = `${key}\u0000${variable}${accrued}${inferenceSpans.length > 0 ? `\u0000${trailer}` : ''}`;
    return new ServedFootprint(variable, entry.prefix, `${accrued}}${trailer}}`, `"${this.nonce}.${tag(tagged)}"`);
  }
}

/** True when an If-None-Match header names this tag (or `*`). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((candidate) => candidate.trim().replace(/^W\//, ''))
    .some((candidate) => candidate === etag || candidate === '*');
}
