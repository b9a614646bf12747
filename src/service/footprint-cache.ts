import { randomBytes } from 'node:crypto';
import type { Device, DeviceAggregate } from '../domain/types.js';
import type { DevicePresence } from '../live/device-presence.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { accruedFigures, planFigures, type FigurePlan } from '../model/footprint-figures.js';
import { planFootprint, type PowerInput } from '../model/footprint.js';
import type { PerInferenceBasis } from '../model/per-inference.js';
import { powerUncertainty } from '../model/power-confidence.js';
import type { EnergyWindow } from '../domain/types.js';
import { devicePerInference, deviceStatus, powerFromAggregate, specInput, type DeviceStatus } from './device-footprint.js';
import { ServedFootprint, tag } from './footprint-served.js';
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
 * Devices whose own parts of the answer are kept (DeviceHead, LRU): about 2.8 KB each (the device's and aggregate's
 * JSON, its uncertainty and per-inference figures, the entry's key), so this bounds them near 6 MB: 0.06 KiB a device
 * at 100 000 (issue 11: ≤ 2 KiB of heap a device). Enough for the devices dashboards and clients poll; a fleet-wide
 * sweep of random ids makes each device's parts on each request, as without them.
 */
export const MAX_FOOTPRINT_HEADS = 2_048;

/**
 * Slots of the devices' admission filter: a device's parts are kept from its second request within about this many
 * requests of other devices on (as an entry's, ADMISSION_SLOTS). Parts kept for a device not asked for again before
 * they are evicted live just long enough to be promoted to the old generation and die there: with the entries' 16 384
 * slots, a sweep of random ids over 100 000 devices kept a device's parts at about one request in six, and served at
 * 1.06–1.08× main's CPU per request where keeping none served at 0.97× (same-process A/B, bench/footprint-serve.ts
 * AGAINST); with these slots, 0.97–0.99×. Twice the heads kept admits any polled set that fits them.
 */
export const HEAD_ADMISSION_SLOTS = 2 * MAX_FOOTPRINT_HEADS;

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

/**
 * What a device's answer takes from its device and aggregate objects (all but the entry's bytes and accrued), kept while
 * the device is asked for with the same two objects. Neither is ever changed in place: the stores read new ones, the
 * fleet index replaces a row's (fleet-index.ts upsert, applyAggregate), so the same objects mean the same parts.
 * Only the status (online, presence: time and transports) and accrued (time) are per request, and the status's JSON
 * and tag are remade only when it changes.
 */
interface DeviceHead {
  readonly device: Device;
  readonly aggregate: DeviceAggregate | undefined;
  /** The entry's key (spec and power summary): it decides the entry's bytes and the per-inference basis. */
  readonly key: string;
  readonly specKey: string;
  readonly powerW: number;
  /** Date.parse(deployedAt); null: not deployed (or not a date): accrued is null. */
  readonly deployedMs: number | null;
  /** For accrued; the spec's, taken at the first request that needs it. */
  figures: FigurePlan | null;
  /** `{"device":…,"aggregate":…,"status":` */
  readonly start: string;
  readonly startBytes: number;
  /** `,"powerUncertainty":…,"perInference":…}`: the body's end, after accrued and the footprint's `}`. */
  readonly trailer: string;
  readonly trailerBytes: number;
  /** The status that `status` and `tagBase` were made for: its online and presence (the rest is the aggregate's). */
  online: boolean;
  presenceState: DevicePresence['state'] | null;
  presenceSinceMs: number;
  presenceVia: DevicePresence['via'] | null;
  /** `<status JSON>,"footprint":` */
  status: string;
  statusBytes: number;
  /** The tag up to its time-dependent part: `"<nonce>.<hash of key, start and status>` (no closing quote). */
  tagBase: string;
}

/**
 * A device's footprint is a function of its spec and its measured power summary (the aggregate), plus the time since
 * deployment (accrued) and its status now. The first two are computed once per (spec, power summary) and kept as JSON;
 * status and accrued, small and time-dependent, are computed per request (accrued from the spec's resolved figures,
 * equal bit for bit to computeFootprint's) and spliced in. What the device itself adds (its JSON, its aggregate's, the
 * power's uncertainty, per-inference figures) is kept per device while its objects are the same (DeviceHead). The
 * body equals JSON.stringify(deviceFootprint(…)).
 */
export class FootprintCache {
  private readonly entries = new Map<string, Entry>();
  private readonly plans = new Map<string, SpecPlan>();
  /** By device id, LRU (the map's order is the recency of use). */
  private readonly heads = new Map<string, DeviceHead>();
  /** A fingerprint of the last key seen per slot (0: none). */
  private readonly seen = new Int32Array(ADMISSION_SLOTS);
  /** The same for device ids (heads). */
  private readonly seenDevices = new Int32Array(HEAD_ADMISSION_SLOTS);
  /** JSON of a spec object: the fleet index's devices share one spec object per distinct spec, so this is computed once per spec. */
  private readonly specKeys = new WeakMap<object, string>();
  /** Tags from another run of the service never name this run's entries. */
  private readonly nonce = randomBytes(6).toString('base64url');
  hits = 0;
  misses = 0;
  /** Requests answered from a device's kept parts (its head). */
  headHits = 0;

  constructor(private readonly catalogue: Catalogue) {}

  get size(): number {
    return this.entries.size;
  }

  /** Devices whose parts are kept. */
  get headCount(): number {
    return this.heads.size;
  }

  /** Plan a spec and keep it; the template is built from the footprint at the seed's assumed power. */
  private plan(specKey: string, device: Device): SpecPlan {
    const plan: SpecPlan = { template: FootprintTemplate.build(this.catalogue, planFootprint(this.catalogue, specInput(device.spec))), figures: null };
    if (this.plans.size >= MAX_FOOTPRINT_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(specKey, plan);
    return plan;
  }

  private specKeyOf(device: Device): string {
    let specKey = this.specKeys.get(device.spec);
    if (specKey === undefined) {
      specKey = JSON.stringify(device.spec);
      this.specKeys.set(device.spec, specKey);
    }
    return specKey;
  }

  /** The entry of `key` (spec and power summary), kept or rendered; `aggregate` is the one the key was made from. */
  private entry(key: string, specKey: string, device: Device, aggregate: DeviceAggregate | undefined): Entry {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses += 1;
      const plan = this.plans.get(specKey) ?? this.plan(specKey, device);
      // bytes equal JSON.stringify(footprintFromPlan(…)): the spec's parts encoded once per spec, the power's written here
      const { bytes, basis } = plan.template.renderAt(powerFromAggregate(this.catalogue, aggregate));
      if (!bytes.subarray(bytes.length - ACCRUED_TAIL_BYTES.length).equals(ACCRUED_TAIL_BYTES)) {
        throw new Error('footprint JSON does not end with accrued: the splice below would be wrong');
      }
      entry = { prefix: bytes.subarray(0, bytes.length - ACCRUED_TAIL.length), basis };
      if (admit(this.seen, key)) {
        if (this.entries.size >= MAX_FOOTPRINT_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(key, entry);
      }
    } else {
      this.hits += 1;
      this.entries.delete(key); // re-inserted last: the map's order is the recency of use
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The spec's figures for accrued (an entry or a head may outlive its spec's plan: plans are forgotten oldest first). */
  private figures(specKey: string, device: Device): FigurePlan {
    const plan = this.plans.get(specKey) ?? this.plan(specKey, device);
    plan.figures ??= planFigures(this.catalogue, specInput(device.spec));
    return plan.figures;
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
    if (inferenceSpans.length > 0) return this.serveWithSpans(device, aggregate, nowMs, onlineThresholdMs, presence, inferenceSpans);
    let head = this.heads.get(device.id);
    let entry: Entry;
    if (head !== undefined && head.device === device && head.aggregate === aggregate) {
      this.headHits += 1;
      this.heads.delete(device.id); // re-inserted last: the map's order is the recency of use
      this.heads.set(device.id, head);
      entry = this.entry(head.key, head.specKey, device, aggregate);
    } else {
      ({ head, entry } = this.newHead(device, aggregate));
      // a device whose objects changed (a new window, an edit) keeps its place; another is kept at its second request
      if (this.heads.delete(device.id) || admit(this.seenDevices, device.id)) {
        if (this.heads.size >= MAX_FOOTPRINT_HEADS) this.heads.delete(this.heads.keys().next().value!);
        this.heads.set(device.id, head);
      }
    }

    const status = deviceStatus(aggregate, nowMs, onlineThresholdMs, presence);
    if (head.tagBase === '' || !sameStatus(head, status)) this.restatus(head, status);
    let accrued = 'null';
    let etag = `${head.tagBase}"`;
    if (head.deployedMs !== null) {
      const elapsedS = Math.max(0, (nowMs - head.deployedMs) / 1000);
      head.figures ??= this.figures(head.specKey, device);
      accrued = JSON.stringify(accruedFigures(head.figures, head.powerW, elapsedS));
      // accrued follows from the spec and power (the key), deployedAt (the device, in the hashed start) and this
      etag = `${head.tagBase}.${elapsedS}"`;
    }
    return new ServedFootprint(
      `${head.start}${head.status}`,
      entry.prefix,
      `${accrued}}${head.trailer}`,
      etag,
      head.startBytes + head.statusBytes + entry.prefix.length + Buffer.byteLength(accrued) + 1 + head.trailerBytes,
    );
  }

  /** The parts of a device's answer that its device and aggregate objects decide (no inference spans). */
  private newHead(device: Device, aggregate: DeviceAggregate | undefined): { head: DeviceHead; entry: Entry } {
    const power = powerFromAggregate(this.catalogue, aggregate);
    const specKey = this.specKeyOf(device);
    const key = keyOf(specKey, power);
    const entry = this.entry(key, specKey, device, aggregate);
    const deployedMs = device.deployedAt === null ? null : Date.parse(device.deployedAt);
    const start = `{"device":${JSON.stringify(device)},"aggregate":${JSON.stringify(aggregate ?? null)},"status":`;
    const trailer = `,"powerUncertainty":${JSON.stringify(aggregate === undefined ? null : powerUncertainty(aggregate))},"perInference":${JSON.stringify(
      devicePerInference(entry.basis, aggregate, []),
    )}}`;
    const head: DeviceHead = {
      device,
      aggregate,
      key,
      specKey,
      powerW: power.powerW,
      deployedMs: deployedMs === null || Number.isNaN(deployedMs) ? null : deployedMs,
      figures: null,
      start,
      startBytes: Buffer.byteLength(start),
      trailer,
      trailerBytes: Buffer.byteLength(trailer),
      online: false,
      presenceState: null,
      presenceSinceMs: 0,
      presenceVia: null,
      status: '',
      statusBytes: 0,
      tagBase: '',
    };
    return { head, entry };
  }

  /**
   * The head's status part and tag for `status`. The key stands for the entry's bytes (one catalogue per process), the
   * start for the device and aggregate, and those two decide the trailer: the same tag for the same bytes whether
   * the entry was kept, rendered again after an eviction, or never admitted, and whether the head was kept or made again.
   */
  private restatus(head: DeviceHead, status: DeviceStatus): void {
    head.online = status.online;
    head.presenceState = status.presence?.state ?? null;
    head.presenceSinceMs = status.presence?.sinceMs ?? 0;
    head.presenceVia = status.presence?.via ?? null;
    head.status = `${JSON.stringify(status)},"footprint":`;
    head.statusBytes = Buffer.byteLength(head.status);
    head.tagBase = `"${this.nonce}.${tag(`${head.key}\u0000${head.start}${head.status}`)}`;
  }

  /** A device with marker-bounded windows: its per-inference figures follow its spans, so nothing of it is kept. */
  private serveWithSpans(
    device: Device,
    aggregate: DeviceAggregate | undefined,
    nowMs: number,
    onlineThresholdMs: number,
    presence: DevicePresence | undefined,
    inferenceSpans: readonly EnergyWindow[],
  ): ServedFootprint {
    this.heads.delete(device.id);
    const power = powerFromAggregate(this.catalogue, aggregate);
    const specKey = this.specKeyOf(device);
    const key = keyOf(specKey, power);
    const entry = this.entry(key, specKey, device, aggregate);
    const deployedMs = device.deployedAt === null ? null : Date.parse(device.deployedAt);
    let accrued = 'null';
    if (deployedMs !== null && !Number.isNaN(deployedMs)) {
      accrued = JSON.stringify(accruedFigures(this.figures(specKey, device), power.powerW, Math.max(0, (nowMs - deployedMs) / 1000)));
    }
    const variable = `{"device":${JSON.stringify(device)},"aggregate":${JSON.stringify(aggregate ?? null)},"status":${JSON.stringify(
      deviceStatus(aggregate, nowMs, onlineThresholdMs, presence),
    )},"footprint":`;
    const trailer = `,"powerUncertainty":${JSON.stringify(aggregate === undefined ? null : powerUncertainty(aggregate))},"perInference":${JSON.stringify(
      devicePerInference(entry.basis, aggregate, inferenceSpans),
    )}`;
    // As restatus's tag, with accrued and the trailer (which follows the spans) hashed too.
    const tagged = `${key}\u0000${variable}${accrued}\u0000${trailer}`;
    const tail = `${accrued}}${trailer}}`;
    return new ServedFootprint(
      variable,
      entry.prefix,
      tail,
      `"${this.nonce}.${tag(tagged)}"`,
      Buffer.byteLength(variable) + entry.prefix.length + Buffer.byteLength(tail),
    );
  }
}

/** True when `key` was asked for recently (its fingerprint is in its slot of `seen`); else remembers it and answers false. */
function admit(seen: Int32Array, key: string): boolean {
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (let index = 0; index < key.length; index += 1) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  const fingerprint = hash | 1; // never 0, the empty slot
  const slot = (hash >>> 0) % seen.length;
  if (seen[slot] === fingerprint) return true;
  seen[slot] = fingerprint;
  return false;
}

/** The entry's key: the spec's JSON and the power summary the entry's bytes follow from. */
function keyOf(specKey: string, power: PowerInput): string {
  return power.kind === 'measured'
    ? `${specKey}|m|${power.powerW}|${power.observedS}|${power.samples}|${power.windows}`
    : `${specKey}|${power.kind}|${power.powerW}`;
}

/** The status a head's status part was made for: online and presence (lastSeenMs and coverage are its aggregate's). */
function sameStatus(head: DeviceHead, status: DeviceStatus): boolean {
  const presence = status.presence;
  return (
    head.online === status.online &&
    (presence === null
      ? head.presenceState === null
      : head.presenceState === presence.state && head.presenceSinceMs === presence.sinceMs && head.presenceVia === presence.via)
  );
}
