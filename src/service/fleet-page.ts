import type { FleetIndex, IndexedDevice } from './fleet-index.js';
import { StepBudget } from './fleet-step.js';
import type { FleetDeviceRow } from './fleet-summary.js';

/** The dashboard's sort keys (dashboards/web/js/fleet/fleet-model.js); `status` sorts by last seen, `ratio` by power. */
export const FLEET_SORT_KEYS = ['id', 'status', 'lastSeen', 'coverage', 'power', 'total', 'accrued', 'ratio'] as const;
export type FleetSortKey = (typeof FLEET_SORT_KEYS)[number];
export const FLEET_STATUS_FILTERS = ['all', 'online', 'offline', 'measured', 'assumed', 'above'] as const;
export type FleetStatusFilter = (typeof FLEET_STATUS_FILTERS)[number];

/** Devices scanned between two looks at the clock (performance.now costs about as much as scanning a few rows). */
export const PAGE_SCAN_CLOCK_EVERY = 1_024;

export interface FleetPageQuery {
  fleet?: string;
  /** Case-insensitive substring of id, name, system, fleet or grid. */
  text?: string;
  status: FleetStatusFilter;
  sort: FleetSortKey;
  /** 1 ascending, -1 descending; ties are always by id, ascending. */
  direction: 1 | -1;
  offset: number;
  limit: number;
}

export interface FleetPage {
  /** Devices that pass the filters (the fleet, the text and the status). */
  matched: number;
  rows: FleetDeviceRow[];
}

/** Which devices a page shows, in order, before their rows are rendered at a time. */
export interface FleetSelection {
  matched: number;
  devices: IndexedDevice[];
}

/**
 * A selection depends only on what FleetIndex.orderVersion follows (the rows' figures, names, fleets, specs) for this
 * query: not on the online status (which follows presence and the clock) nor on the accrued figure (which grows with
 * the clock). Such a query's selection can be kept while orderVersion stays, and only its rows rendered again.
 */
export function selectionFollowsOrderVersion(query: FleetPageQuery): boolean {
  return query.status !== 'online' && query.status !== 'offline' && query.sort !== 'accrued';
}

type SortValue = (row: IndexedDevice) => number | string;

const SORT_VALUE: Record<FleetSortKey, SortValue> = {
  id: (row) => row.id,
  status: (row) => row.lastSeenMs ?? -Infinity,
  lastSeen: (row) => row.lastSeenMs ?? -Infinity,
  coverage: (row) => coverageOf(row) ?? -1,
  power: (row) => (row.error === null ? row.powerW : 0),
  total: (row) => row.totalKgCO2e,
  accrued: (row) => row.accruedKgCO2e ?? -1,
  ratio: (row) => (row.error === null ? row.powerW : 0),
};

function coverageOf(row: IndexedDevice): number | null {
  if (row.error !== null || row.lastSeenMs === null || row.firstSeenMs === null) return null;
  const spanS = (row.lastSeenMs - row.firstSeenMs) / 1000;
  return spanS > 0 ? Math.min(1, row.observedS / spanS) : null;
}

/** The query's filter, or null when it keeps every device (no fleet, no text, status `all`): then nothing is tested. */
function predicate(index: FleetIndex, query: FleetPageQuery, nowMs: number, assumedPowerW: number): ((row: IndexedDevice) => boolean) | null {
  const text = query.text?.trim().toLowerCase() ?? '';
  if (query.fleet === undefined && text === '' && query.status === 'all') return null;
  return (row) => {
    if (query.fleet !== undefined && row.fleet !== query.fleet) return false;
    if (text !== '' && !row.haystack.includes(text)) return false;
    switch (query.status) {
      case 'online':
        return index.isOnline(row, nowMs);
      case 'offline':
        return !index.isOnline(row, nowMs);
      case 'measured':
        return row.measured;
      case 'assumed':
        return !row.measured;
      case 'above':
        return row.measured && row.powerW > assumedPowerW;
      default:
        return true;
    }
  };
}

/**
 * The best `capacity` devices seen so far in the query's order, as a binary max-heap (its top is the worst of them) in
 * two parallel arrays: each device's sort value as it was when the scan passed it (a refresh between two steps cannot
 * reorder the heap) and the device. A device that does not beat the top costs one comparison and no allocation.
 */
class BestRows {
  private readonly values: (number | string)[] = [];
  private readonly rows: IndexedDevice[] = [];

  constructor(
    private readonly capacity: number,
    private readonly direction: 1 | -1,
  ) {}

  /** Positive when (va, a) comes after (vb, b) in the query's order; ties by id, ascending. */
  private compare(va: number | string, a: IndexedDevice, vb: number | string, b: IndexedDevice): number {
    if (va !== vb) return (va < vb ? -1 : 1) * this.direction;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  offer(value: number | string, row: IndexedDevice): void {
    const n = this.values.length;
    if (n < this.capacity) {
      this.values.push(value);
      this.rows.push(row);
      this.up(n);
    } else if (n > 0 && this.compare(value, row, this.values[0]!, this.rows[0]!) < 0) {
      this.values[0] = value;
      this.rows[0] = row;
      this.down(0);
    }
  }

  get size(): number {
    return this.values.length;
  }

  /** Remove and return the worst kept device. */
  pop(): IndexedDevice {
    const top = this.rows[0]!;
    const lastValue = this.values.pop()!;
    const lastRow = this.rows.pop()!;
    if (this.values.length > 0) {
      this.values[0] = lastValue;
      this.rows[0] = lastRow;
      this.down(0);
    }
    return top;
  }

  private after(i: number, j: number): boolean {
    return this.compare(this.values[i]!, this.rows[i]!, this.values[j]!, this.rows[j]!) > 0;
  }

  private swap(i: number, j: number): void {
    const value = this.values[i]!;
    this.values[i] = this.values[j]!;
    this.values[j] = value;
    const row = this.rows[i]!;
    this.rows[i] = this.rows[j]!;
    this.rows[j] = row;
  }

  private up(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.after(child, parent)) return;
      this.swap(parent, child);
      child = parent;
    }
  }

  private down(index: number): void {
    const n = this.values.length;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let largest = parent;
      if (left < n && this.after(left, largest)) largest = left;
      if (right < n && this.after(right, largest)) largest = right;
      if (largest === parent) return;
      this.swap(parent, largest);
      parent = largest;
    }
  }
}

/**
 * One page of the fleet, filtered and sorted on the server. A single pass keeps the best `offset + limit` devices in
 * a bounded heap (O(n log(offset + limit)), no sort of the whole fleet), yielding to the event loop after each
 * FLEET_STEP_BUDGET_MS of scanning so that no step blocks other requests (100 000 devices: a few steps, not dozens).
 */
export async function fleetPage(
  index: FleetIndex,
  query: FleetPageQuery,
  nowMs: number,
  assumedPowerW: number,
  budget: StepBudget = new StepBudget(),
): Promise<FleetPage> {
  const selection = await fleetSelection(index, query, nowMs, assumedPowerW, budget);
  return { matched: selection.matched, rows: selection.devices.map((row) => index.fleetRow(row, nowMs)) };
}

/** The devices of one page and how many matched (fleetPage without the rows rendered). */
export async function fleetSelection(
  index: FleetIndex,
  query: FleetPageQuery,
  nowMs: number,
  assumedPowerW: number,
  budget: StepBudget = new StepBudget(),
): Promise<FleetSelection> {
  const value = SORT_VALUE[query.sort];
  const passes = predicate(index, query, nowMs, assumedPowerW);
  const keep = query.offset + query.limit;
  const best = new BestRows(keep, query.direction);
  let matched = 0;
  const devices = index.devices();
  for (let i = 0; i < devices.length; i += 1) {
    if (i % PAGE_SCAN_CLOCK_EVERY === 0 && i > 0) await budget.yieldIfDue();
    const row = devices[i]!;
    if (passes !== null && !passes(row)) continue;
    matched += 1;
    if (keep > 0) best.offer(value(row), row);
  }
  // The page is the `limit` worst of the kept devices: pop them, worst first, and reverse.
  const page: IndexedDevice[] = [];
  const pageSize = Math.max(0, Math.min(query.limit, best.size - query.offset));
  for (let i = 0; i < pageSize; i += 1) page.push(best.pop());
  page.reverse();
  return { matched, devices: page };
}
