import type { FleetIndex, IndexedDevice } from './fleet-index.js';
import type { FleetDeviceRow } from './fleet-summary.js';

/** The dashboard's sort keys (dashboards/web/js/fleet/fleet-model.js); `status` sorts by last seen, `ratio` by power. */
export const FLEET_SORT_KEYS = ['id', 'status', 'lastSeen', 'coverage', 'power', 'total', 'accrued', 'ratio'] as const;
export type FleetSortKey = (typeof FLEET_SORT_KEYS)[number];
export const FLEET_STATUS_FILTERS = ['all', 'online', 'offline', 'measured', 'assumed', 'above'] as const;
export type FleetStatusFilter = (typeof FLEET_STATUS_FILTERS)[number];

/** Devices looked at per step of a page query before yielding: one step stays well under 10 ms at 100 000 devices. */
export const PAGE_SCAN_SLICE = 4_096;

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

/** A device with its sort value as it was when the scan passed it (a refresh between two steps cannot reorder the heap). */
interface Entry {
  row: IndexedDevice;
  value: number | string;
}
type Compare = (a: Entry, b: Entry) => number;

/** Negative when `a` comes first in the query's order. */
function comparator(direction: 1 | -1): Compare {
  return (a, b) => {
    if (a.value !== b.value) return (a.value < b.value ? -1 : 1) * direction;
    return a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0;
  };
}

function predicate(index: FleetIndex, query: FleetPageQuery, nowMs: number, assumedPowerW: number): (row: IndexedDevice) => boolean {
  const text = query.text?.trim().toLowerCase() ?? '';
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
 * One page of the fleet, filtered and sorted on the server. A single pass keeps the best `offset + limit` devices in
 * a bounded heap (O(n log(offset + limit)), no sort of the whole fleet), yielding to the event loop every
 * PAGE_SCAN_SLICE devices so that no step blocks other requests.
 */
export async function fleetPage(index: FleetIndex, query: FleetPageQuery, nowMs: number, assumedPowerW: number): Promise<FleetPage> {
  const compare = comparator(query.direction);
  const value = SORT_VALUE[query.sort];
  const passes = predicate(index, query, nowMs, assumedPowerW);
  const keep = query.offset + query.limit;
  // A max-heap by the query's order: its top is the worst of the best `keep` seen so far.
  const heap: Entry[] = [];
  let matched = 0;
  const devices = index.devices();
  for (let start = 0; start < devices.length; start += PAGE_SCAN_SLICE) {
    const end = Math.min(devices.length, start + PAGE_SCAN_SLICE);
    for (let i = start; i < end; i += 1) {
      const row = devices[i]!;
      if (!passes(row)) continue;
      matched += 1;
      if (keep === 0) continue;
      const entry = { row, value: value(row) };
      if (heap.length < keep) {
        heap.push(entry);
        siftUp(heap, heap.length - 1, compare);
      } else if (compare(entry, heap[0]!) < 0) {
        heap[0] = entry;
        siftDown(heap, 0, compare);
      }
    }
    if (end < devices.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  // The page is the `limit` worst of the kept devices: pop them, worst first, and reverse.
  const page: Entry[] = [];
  const pageSize = Math.max(0, Math.min(query.limit, heap.length - query.offset));
  for (let i = 0; i < pageSize; i += 1) page.push(popTop(heap, compare));
  page.reverse();
  return { matched, rows: page.map((entry) => index.fleetRow(entry.row, nowMs)) };
}

function siftUp(heap: Entry[], index: number, compare: Compare): void {
  let child = index;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (compare(heap[parent]!, heap[child]!) >= 0) return;
    [heap[parent], heap[child]] = [heap[child]!, heap[parent]!];
    child = parent;
  }
}

function siftDown(heap: Entry[], index: number, compare: Compare): void {
  const n = heap.length;
  let parent = index;
  for (;;) {
    const left = 2 * parent + 1;
    const right = left + 1;
    let largest = parent;
    if (left < n && compare(heap[left]!, heap[largest]!) > 0) largest = left;
    if (right < n && compare(heap[right]!, heap[largest]!) > 0) largest = right;
    if (largest === parent) return;
    [heap[parent], heap[largest]] = [heap[largest]!, heap[parent]!];
    parent = largest;
  }
}

function popTop(heap: Entry[], compare: Compare): Entry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(heap, 0, compare);
  }
  return top;
}
