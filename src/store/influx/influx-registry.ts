/**
 * The device registry shared by several instances, in InfluxDB (docs/fleet-truth.md): measurement `device_registry`,
 * tag `device`, one point per registration or edit, the whole device as JSON. The point's timestamp is its order in
 * the conflict rule, last writer wins by updatedAt with ties broken by instance: updatedAt (ms) · 10⁶ + the writer's
 * tie-break (0 … 999 999, from its instance id), so `last()` per device is the winning entry on every instance and a
 * write repeated by the same instance is the same point.
 */
import { createHash } from 'node:crypto';
import { escape, FieldType, type InfluxDB, type IPoint } from 'influx';
import type { Device } from '../../domain/types.js';
import { mapInfluxError } from './influx-errors.js';
import { influxClient } from './influx-client.js';
import { DEFAULT_INFLUX_DATABASE } from './influx-window-store.js';

export const REGISTRY_MEASUREMENT = 'device_registry';
/** Sub-millisecond digits of the timestamp that carry the writer's tie-break (10⁶ ns per ms). */
const NS_PER_MS = 1_000_000n;
/** Registry entries written per request (a fleet manifest registers thousands at once). */
export const REGISTRY_POINTS_PER_WRITE = 5_000;

/** A registry entry's place in the conflict order: the greater (updatedAtMs, tieBreak) wins. */
export interface EntryKey {
  updatedAtMs: number;
  tieBreak: number;
}

export interface RegistryEntry {
  device: Device;
  key: EntryKey;
}

/** An instance's tie-break: a stable number in [0, 10⁶) from its id (the first 8 hex digits of its SHA-256, mod 10⁶). */
export function tieBreakOf(instanceId: string): number {
  return Number.parseInt(createHash('sha256').update(instanceId).digest('hex').slice(0, 8), 16) % 1_000_000;
}

/** -1, 0 or 1 as `a` loses to, ties or wins over `b`. */
export function compareKeys(a: EntryKey, b: EntryKey): number {
  if (a.updatedAtMs !== b.updatedAtMs) return a.updatedAtMs < b.updatedAtMs ? -1 : 1;
  return Math.sign(a.tieBreak - b.tieBreak);
}

/**
 * The key an entry's point timestamp (ns) encodes: updatedAt · 10⁶ + tie-break, the tie-break in [0, 10⁶) (a floor
 * division: BigInt's `/` and `%` round toward zero, which before 1970 gave a negative tie-break).
 */
export function keyOfTimestamp(timestampNs: bigint): EntryKey {
  const remainderNs = ((timestampNs % NS_PER_MS) + NS_PER_MS) % NS_PER_MS;
  return { updatedAtMs: Number((timestampNs - remainderNs) / NS_PER_MS), tieBreak: Number(remainderNs) };
}

export function entryKeyOf(device: Device, instanceId: string): EntryKey {
  return { updatedAtMs: Date.parse(device.updatedAt), tieBreak: tieBreakOf(instanceId) };
}

export interface InfluxRegistryOptions {
  url: string;
  database?: string;
  username?: string;
  password?: string;
  requestTimeoutMs?: number;
  /**
   * The window store's retention (`--influx-retention`), if any: it makes its own policy the database's default, so the
   * registry then reads and writes the database's `autogen` policy (kept forever), lest an entry not edited within the
   * retention drop out of the registry.
   */
  retention?: string;
}

/** InfluxDB 1.x's policy of every new database: infinite duration. */
const REGISTRY_KEPT_POLICY = 'autogen';

export class InfluxRegistry {
  private readonly client: InfluxDB;
  private readonly database: string;
  private ready: Promise<void> | null = null;
  private readonly policy: string | undefined;

  constructor(options: InfluxRegistryOptions) {
    this.database = options.database ?? DEFAULT_INFLUX_DATABASE;
    this.policy = options.retention === undefined ? undefined : REGISTRY_KEPT_POLICY;
    this.client = influxClient({
      ...options,
      database: this.database,
      schema: [
        {
          measurement: REGISTRY_MEASUREMENT,
          tags: ['device'],
          fields: { entry: FieldType.STRING, instance: FieldType.STRING, updated_ms: FieldType.FLOAT, tie_break: FieldType.INTEGER },
        },
      ],
    });
  }

  /** Write each device as its entry by `instanceId`; StoreUnavailableError / StoreRejectedError on failure. */
  async write(devices: readonly Device[], instanceId: string): Promise<void> {
    if (devices.length === 0) return;
    await this.setUp();
    for (let from = 0; from < devices.length; from += REGISTRY_POINTS_PER_WRITE) {
      const points: IPoint[] = devices.slice(from, from + REGISTRY_POINTS_PER_WRITE).map((device) => {
        const key = entryKeyOf(device, instanceId);
        return {
          measurement: REGISTRY_MEASUREMENT,
          tags: { device: device.id },
          fields: { entry: JSON.stringify(device), instance: instanceId, updated_ms: key.updatedAtMs, tie_break: key.tieBreak },
          timestamp: (BigInt(key.updatedAtMs) * NS_PER_MS + BigInt(key.tieBreak)).toString(),
        };
      });
      try {
        await this.client.writePoints(points, { precision: 'n', ...(this.policy === undefined ? {} : { retentionPolicy: this.policy }) });
      } catch (error) {
        throw mapInfluxError(error, `registry write of ${points.length} devices`);
      }
    }
  }

  /**
   * The winning entry of every device (the last point per device in timestamp order). One `last()`: its row's time is
   * the point's timestamp, which is the entry's key (updatedAt · 10⁶ + tie-break ns), so the key's own fields
   * (`updated_ms`, `tie_break`, written for readers of the raw points) need no function of their own: influxd 1.6 spends
   * about 40–50 µs of CPU per function and device on this statement (1 000 devices: 4 functions 190–200 µs per device, 1
   * function 50–90; bench/influx-sync-cost.ts), and every instance runs it at every fleet sync.
   */
  async winners(): Promise<RegistryEntry[]> {
    await this.setUp();
    let rows: { device: string; entry: string; time: { getNanoTime(): string } }[];
    try {
      rows = (await this.client.query(
        `SELECT last("entry") AS entry FROM ${this.policy === undefined ? '' : `${escape.quoted(this.policy)}.`}${escape.quoted(REGISTRY_MEASUREMENT)} GROUP BY "device"`,
      )) as unknown as typeof rows;
    } catch (error) {
      throw mapInfluxError(error, 'registry read');
    }
    return rows.map((row) => ({ device: JSON.parse(row.entry) as Device, key: keyOfTimestamp(BigInt(row.time.getNanoTime())) }));
  }

  private setUp(): Promise<void> {
    this.ready ??= this.client.createDatabase(this.database).then(
      () => undefined,
      (error: unknown) => {
        this.ready = null;
        throw mapInfluxError(error, 'registry setup');
      },
    );
    return this.ready;
  }
}
