import type { DevicePresence } from '../live/device-presence.js';
import type { IndexedDevice } from './fleet-index.js';
import { deviceState, POWER_BIN_EDGES_W, powerBin, type DeviceState, type FleetGroup, type PowerHistogram, type StateCounts } from './fleet-overview.js';
import { applyObserved, type ObservedSums } from './fleet-sums.js';

/** A device's counted state: its index in STATES; NOT_COUNTED for a slot not in the sums. */
const STATES: readonly DeviceState[] = ['online', 'stale', 'offline'];
const NOT_COUNTED = -1;

/** One group's running sums (an MQTT fleet, devices in none, or the whole fleet). */
class GroupSums implements ObservedSums {
  devices = 0;
  online = 0;
  stale = 0;
  offline = 0;
  measured = 0;
  assumed = 0;
  totalKgCO2e = 0;
  assumedTotalKgCO2e = 0;
  energyJ = 0;
  observedS = 0;
  observed = 0;
  /** The latest last window of its devices, or null; exact unless `lastSeenDirty`. */
  lastSeenMs: number | null = null;
  /** A device that held the latest window left (or moved back in time): `lastSeenMs` may be too late until recomputed. */
  lastSeenDirty = false;
  readonly bins = new Array<number>(POWER_BIN_EDGES_W.length - 1).fill(0);
  below = 0;
  above = 0;

  constructor(readonly fleet: string | null) {}

  /** `sign` 1 adds the device's figures (all but its state), -1 takes them out again, with the very numbers it was added with. */
  apply(row: IndexedDevice, sign: 1 | -1): void {
    this.devices += sign;
    applyObserved(this, row, sign);
    if (this.devices === 0) {
      this.totalKgCO2e = 0;
      this.assumedTotalKgCO2e = 0;
    }
    if (row.lastSeenMs !== null) {
      if (sign === 1 && (this.lastSeenMs === null || row.lastSeenMs >= this.lastSeenMs)) {
        // At or past the latest of all the devices counted before: the latest, whatever left since.
        this.lastSeenMs = row.lastSeenMs;
        this.lastSeenDirty = false;
      } else if (sign === -1 && row.lastSeenMs === this.lastSeenMs) {
        this.lastSeenDirty = true;
      }
    }
    if (row.error !== null) return;
    this.totalKgCO2e += sign * row.totalKgCO2e;
    this.assumedTotalKgCO2e += sign * row.assumedTotalKgCO2e;
    if (!row.measured) {
      this.assumed += sign;
      return;
    }
    this.measured += sign;
    const bin = powerBin(row.powerW);
    if (bin < 0) this.below += sign;
    else if (bin >= this.bins.length) this.above += sign;
    else this.bins[bin]! += sign;
  }

  count(state: number, sign: 1 | -1): void {
    if (state === 0) this.online += sign;
    else if (state === 1) this.stale += sign;
    else this.offline += sign;
  }

  states(): StateCounts {
    return { online: this.online, stale: this.stale, offline: this.offline };
  }

  power(): PowerHistogram {
    return { edgesW: [...POWER_BIN_EDGES_W], counts: [...this.bins], below: this.below, above: this.above, measured: this.measured, assumed: this.assumed };
  }

  group(): FleetGroup {
    return {
      fleet: this.fleet,
      devices: this.devices,
      online: this.online,
      stale: this.stale,
      offline: this.offline,
      measured: this.measured,
      totalKgCO2e: this.totalKgCO2e,
      assumedTotalKgCO2e: this.assumedTotalKgCO2e,
      energyJ: this.energyJ,
      observedS: this.observedS,
      averagePowerW: this.observedS > 0 ? this.energyJ / this.observedS : null,
      lastSeenMs: this.lastSeenMs,
    };
  }
}

/** What the overview shows of the fleet, or of one MQTT fleet, at the sums' last advance. */
export interface OverviewFigures {
  states: StateCounts;
  lastSeenMs: number | null;
  power: PowerHistogram;
  /** One group per MQTT fleet (and one for devices in none), by devices descending, then name. */
  fleets: FleetGroup[];
}

/**
 * GET /api/fleet/overview's figures as running sums, kept by the fleet index as devices change (O(changed devices) per
 * change, O(groups) per read, instead of an O(devices) pass per request: 13–20 ms of CPU at 100 000 devices, which
 * the dashboard asks for every second). Each device adds its figures to its group's sums and to the whole fleet's; its
 * state (online, stale, offline: deviceState) is counted as it was when last looked at. A device with a fresh window
 * has an entry in the index's expiry heap (one for these sums and the totals) at its window's end plus the threshold:
 * the index calls `recount` then (online becomes stale or offline), so a read costs only the devices whose window aged
 * since the last one.
 */
export class OverviewSums {
  private readonly all = new GroupSums(null);
  private readonly groups = new Map<string | null, GroupSums>();
  /** Per slot: the state it is counted in (an index of STATES), the group it is counted in. */
  private readonly stateOf: number[] = [];
  private readonly groupOf: (GroupSums | undefined)[] = [];
  /**
   * A pass finding the latest window of the groups whose latest device left (lastSeenDirty), `chunk` slots per advance:
   * the next slot, and each such group's latest so far (a device added meanwhile counts in at once). Null: none.
   */
  private settle: { slot: number; latest: Map<GroupSums, number | null> } | null = null;
  /** A group became dirty since the last advance: the next one starts a pass for it unless the pass under way has it. */
  private settleWanted = false;
  /**
   * Devices (slot, group, window end) the pass under way had counted as a group's latest so far when they left: the
   * next advance starts the pass again, unless the device came back into the same group at or past that end (a new
   * window of its own: the pass then counted the newer one, still the latest).
   */
  private settleInvalid: { slot: number; group: GroupSums; ms: number }[] = [];

  constructor(
    private readonly rows: () => readonly IndexedDevice[],
    private readonly presenceOf: (id: string) => DevicePresence | undefined,
    private readonly thresholdMs: number,
  ) {}

  /** Count a device in (its figures and its state at `nowMs`); it must not be counted already. */
  add(row: IndexedDevice, nowMs: number): void {
    let group = this.groups.get(row.fleet);
    if (group === undefined) {
      group = new GroupSums(row.fleet);
      this.groups.set(row.fleet, group);
    }
    this.groupOf[row.slot] = group;
    group.apply(row, 1);
    this.all.apply(row, 1);
    if (this.settle !== null && row.lastSeenMs !== null) {
      this.settleSeen(group, row.lastSeenMs);
      this.settleSeen(this.all, row.lastSeenMs);
      const ms = row.lastSeenMs;
      if (this.settleInvalid.length > 0)
        this.settleInvalid = this.settleInvalid.filter((left) => !(left.slot === row.slot && left.group === group && ms >= left.ms));
    }
    this.countState(row, nowMs);
  }

  /** Take a device out, before any figure of it changes. */
  remove(row: IndexedDevice): void {
    const group = this.groupOf[row.slot];
    if (group === undefined) return;
    this.uncountState(row);
    const groupWasDirty = group.lastSeenDirty;
    const allWasDirty = this.all.lastSeenDirty;
    group.apply(row, -1);
    this.all.apply(row, -1);
    this.groupOf[row.slot] = undefined;
    if (group.devices === 0) this.groups.delete(group.fleet);
    // A group's latest device left, or one that a pass under way counted as the latest so far: the next advance
    // (re)starts the pass if a group is still dirty then. Not at once: a device taken out to be counted in again with a
    // newer window (every window of a group's latest device) makes its group exact again before the advance.
    if ((group.lastSeenDirty && !groupWasDirty) || (this.all.lastSeenDirty && !allWasDirty)) this.settleWanted = true;
    if (row.lastSeenMs !== null && this.settle !== null && this.settleCounted(group, row.lastSeenMs)) {
      this.settleInvalid.push({ slot: row.slot, group, ms: row.lastSeenMs });
    }
  }

  /** Count a device's state again (its presence changed). */
  recount(row: IndexedDevice, nowMs: number): void {
    if (this.groupOf[row.slot] === undefined) return;
    this.uncountState(row);
    this.countState(row, nowMs);
  }

  /**
   * The latest window of a group whose latest device left is being found (until then, its `lastSeenMs` may be too
   * late). The index counts each device's state again when its fresh window ages (its expiry heap) and after the clock
   * went back (its recount), with `recount`.
   */
  get pending(): boolean {
    if (this.all.lastSeenDirty) return true;
    for (const group of this.groups.values()) if (group.lastSeenDirty) return true;
    return false;
  }

  /** The next `chunk` slots of the search for a group's latest window, if one is under way; false when some are left. */
  advance(chunk: number): boolean {
    return this.settleStep(this.rows(), chunk);
  }

  /** The figures of the fleet, or of one MQTT fleet (empty for a fleet with no device), as of the last advance. */
  figures(fleet?: string): OverviewFigures {
    if (fleet !== undefined) {
      const group = this.groups.get(fleet);
      if (group === undefined) return emptyFigures();
      return { states: group.states(), lastSeenMs: group.lastSeenMs, power: group.power(), fleets: [group.group()] };
    }
    const fleets = [...this.groups.values()].map((group) => group.group());
    fleets.sort((a, b) => b.devices - a.devices || (a.fleet ?? '\uffff').localeCompare(b.fleet ?? '\uffff'));
    return { states: this.all.states(), lastSeenMs: this.all.lastSeenMs, power: this.all.power(), fleets };
  }

  private countState(row: IndexedDevice, nowMs: number): void {
    const state = STATES.indexOf(deviceState(row, this.presenceOf(row.id), nowMs, this.thresholdMs));
    this.stateOf[row.slot] = state;
    this.groupOf[row.slot]!.count(state, 1);
    this.all.count(state, 1);
  }

  private uncountState(row: IndexedDevice): void {
    const state = this.stateOf[row.slot] ?? NOT_COUNTED;
    if (state === NOT_COUNTED) return;
    this.groupOf[row.slot]!.count(state, -1);
    this.all.count(state, -1);
    this.stateOf[row.slot] = NOT_COUNTED;
  }

  /**
   * Find the latest window of the groups whose latest device left (a device moved to another fleet or back in time)
   * by a pass over the slots, `chunk` a call (a pass over 100 000 devices in one task was 8–17 ms, bench/fleet-edges.ts);
   * until it ends, such a group's `lastSeenMs` is its old, too late, value and `pending` says so.
   */
  private startSettle(): void {
    const latest = new Map<GroupSums, number | null>();
    for (const group of [this.all, ...this.groups.values()]) if (group.lastSeenDirty) latest.set(group, null);
    this.settle = latest.size === 0 ? null : { slot: 0, latest };
  }

  /** The pass under way is for every dirty group (so a group dirty again since need not start it over). */
  private settleCovers(): boolean {
    const settle = this.settle;
    if (settle === null) return false;
    if (this.all.lastSeenDirty && !settle.latest.has(this.all)) return false;
    for (const group of this.groups.values()) if (group.lastSeenDirty && !settle.latest.has(group)) return false;
    return true;
  }

  /** A group the pass under way is finding the latest of: `ms` counts in. */
  private settleSeen(group: GroupSums, ms: number): void {
    const latest = this.settle!.latest;
    if (!latest.has(group)) return;
    const sofar = latest.get(group)!;
    if (sofar === null || ms > sofar) latest.set(group, ms);
  }

  /** The pass under way counted `ms` as the latest so far of this group or of the fleet (a device leaving with it restarts the pass). */
  private settleCounted(group: GroupSums, ms: number): boolean {
    const latest = this.settle!.latest;
    return latest.get(group) === ms || latest.get(this.all) === ms;
  }

  /** The pass's next `chunk` slots; true when no pass is left. */
  private settleStep(rows: readonly IndexedDevice[], chunk: number): boolean {
    if (this.settleInvalid.length > 0 || (this.settleWanted && !this.settleCovers())) this.startSettle();
    this.settleWanted = false;
    this.settleInvalid = [];
    const settle = this.settle;
    if (settle === null) return true;
    if (![...settle.latest.keys()].some((group) => group.lastSeenDirty)) {
      this.settle = null; // every group it was for is exact again (a device at or past its old latest arrived)
      return true;
    }
    const end = Math.min(rows.length, settle.slot + chunk);
    for (; settle.slot < end; settle.slot += 1) {
      const row = rows[settle.slot]!;
      const group = this.groupOf[row.slot];
      if (group === undefined || row.lastSeenMs === null) continue;
      this.settleSeen(this.all, row.lastSeenMs);
      this.settleSeen(group, row.lastSeenMs);
    }
    if (settle.slot < rows.length) return false;
    for (const [group, latest] of settle.latest) {
      if (!group.lastSeenDirty) continue; // a device at or past its old latest arrived since: exact already
      group.lastSeenMs = latest;
      group.lastSeenDirty = false;
    }
    this.settle = null;
    return true;
  }
}

function emptyFigures(): OverviewFigures {
  return {
    states: { online: 0, stale: 0, offline: 0 },
    lastSeenMs: null,
    power: { edgesW: [...POWER_BIN_EDGES_W], counts: new Array<number>(POWER_BIN_EDGES_W.length - 1).fill(0), below: 0, above: 0, measured: 0, assumed: 0 },
    fleets: [],
  };
}
