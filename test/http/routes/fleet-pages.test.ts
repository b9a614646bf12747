/** A fleet page's render is fleet work: it waits for the next turn of the event loop once the turn's budget is spent. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { MAX_FLEET_CACHE_ENTRIES } from '../../../src/http/limits.js';
import { FleetPages, PAGE_RENDER_SLICE_ROWS } from '../../../src/http/routes/fleet.js';
import { PresenceRegistry } from '../../../src/live/device-presence.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { FleetIndex } from '../../../src/service/fleet-index.js';
import { fleetPage, type FleetPageQuery } from '../../../src/service/fleet-page.js';
import { FLEET_STEP_BUDGET_MS, StepBudget } from '../../../src/service/fleet-step.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const catalogue = buildCatalogue();
const T0 = 1_764_000_000_000;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup?.();
  cleanup = undefined;
});

/** An index over an in-memory store at the fixed time T0, closed after the test. */
function pagesIndex(): { clock: () => number; store: SqliteStore; index: FleetIndex } {
  const clock = () => T0;
  const store = SqliteStore.open(':memory:');
  const index = new FleetIndex({ store, catalogue, bus: new LiveBus(), presence: new PresenceRegistry(clock), clock, onlineThresholdMs: 60_000 });
  cleanup = async () => {
    index.stop();
    await store.close();
  };
  return { clock, store, index };
}

describe('FleetPages', () => {
  it('renders a page in the next turn when the fleet work of this one spent its budget, and in this turn otherwise', async () => {
    const { clock, store, index } = pagesIndex();
    await store.createDevices(Array.from({ length: 5 }, (_, i) => ({ id: `d${i}`, spec: SEED_DEFAULT_SPEC })));
    await index.start();
    const pages = new FleetPages(index, catalogue, clock);
    const query = (limit: number): FleetPageQuery => ({ status: 'all', sort: 'power', direction: -1, offset: 0, limit });
    const req = { headers: {} } as IncomingMessage;
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clockMs);

    const order = async (spendTurn: boolean, limit: number): Promise<string[]> => {
      const seen: string[] = [];
      const res = { writeHead: () => res, end: () => seen.push('page written') } as unknown as ServerResponse;
      await new Promise((resolve) => setImmediate(resolve)); // a new turn
      if (spendTurn) {
        void new StepBudget(); // other fleet work in this turn…
        clockMs += FLEET_STEP_BUDGET_MS; // …that took the whole budget
      }
      setImmediate(() => seen.push('next turn'));
      await pages.answer(req, res, query(limit));
      await new Promise((resolve) => setImmediate(resolve));
      return seen;
    };
    expect(await order(false, 3)).toEqual(['page written', 'next turn']);
    expect(await order(true, 4)).toEqual(['next turn', 'page written']);
  });
});

describe('FleetPages render of a large page', () => {
  it('renders and serialises a page of many rows a slice at a time over several turns, and the body is the page a single render gives', async () => {
    const { clock, store, index } = pagesIndex();
    const devices = 2 * PAGE_RENDER_SLICE_ROWS + 50;
    await store.createDevices(
      Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: `f${i % 3}`, deployedAt: '2025-01-01T00:00:00Z', spec: SEED_DEFAULT_SPEC })),
    );
    await index.start();
    const pages = new FleetPages(index, catalogue, clock);
    const query: FleetPageQuery = { status: 'all', sort: 'id', direction: 1, offset: 0, limit: devices };
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clockMs);
    // Each row costs a fiftieth of the budget: a slice of rows spends a turn's budget.
    let turn = 0;
    const turnsOfRows = new Set<number>();
    const fleetRow = index.fleetRow.bind(index);
    vi.spyOn(index, 'fleetRow').mockImplementation((row, nowMs) => {
      clockMs += FLEET_STEP_BUDGET_MS / 50;
      turnsOfRows.add(turn);
      return fleetRow(row, nowMs);
    });
    await new Promise((resolve) => setImmediate(resolve)); // a new turn, on the mocked clock
    let ticking = true;
    const tick = () => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let written: Buffer | undefined;
    const res = { writeHead: () => res, end: (bytes: Buffer) => (written = bytes) } as unknown as ServerResponse;
    await pages.answer({ headers: {} } as IncomingMessage, res, query);
    ticking = false;
    expect(turnsOfRows.size).toBeGreaterThanOrEqual(Math.ceil(devices / PAGE_RENDER_SLICE_ROWS));

    const body = JSON.parse(written!.toString()) as { rows: unknown[]; matched: number; truncated: boolean; devices: number };
    const single = await fleetPage(index, query, T0, catalogue.assumptions.assumedPowerW);
    expect(body.rows).toEqual(single.rows);
    expect(body).toMatchObject({ ...index.totals(), matched: devices, truncated: false });
  });
});

describe('FleetPages render while the index changes', () => {
  it('renders totals and rows of one state of the index when a device changes between two slices of the render', async () => {
    const { clock, store, index } = pagesIndex();
    const devices = 2 * PAGE_RENDER_SLICE_ROWS + 50;
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, spec: SEED_DEFAULT_SPEC })));
    await index.start();
    const pages = new FleetPages(index, catalogue, clock);
    const query: FleetPageQuery = { status: 'all', sort: 'id', direction: 1, offset: 0, limit: devices };
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clockMs);
    // Each row costs a fiftieth of the budget: every slice of rows ends its turn.
    let rendered = 0;
    const fleetRow = index.fleetRow.bind(index);
    vi.spyOn(index, 'fleetRow').mockImplementation((row, nowMs) => {
      clockMs += FLEET_STEP_BUDGET_MS / 50;
      rendered += 1;
      return fleetRow(row, nowMs);
    });
    // Once the first slice is rendered, the last device of the page gets windows in another task, as a refresh or
    // a sync applies them (the index's own step, called directly: no store round trip to time).
    const last = index.get(`d${devices - 1}`)!;
    const aggregate = { ...(await store.getAggregate('d0'))!, windows: 3, energyJ: 0.9, observedS: 30, lastSeenMs: T0, firstSeenMs: T0 - 30_000 };
    let changed = false;
    const tick = () => {
      if (!changed && rendered >= PAGE_RENDER_SLICE_ROWS) {
        changed = true;
        (index as unknown as { updateAggregate(row: unknown, aggregate: unknown, nowMs: number): void }).updateAggregate(last, aggregate, T0);
      }
      if (!changed) setImmediate(tick);
    };
    await new Promise((resolve) => setImmediate(resolve)); // a new turn, on the mocked clock
    setImmediate(tick);
    let written: Buffer | undefined;
    const res = { writeHead: () => res, end: (bytes: Buffer) => (written = bytes) } as unknown as ServerResponse;
    await pages.answer({ headers: {} } as IncomingMessage, res, query);
    expect(changed).toBe(true);

    const body = JSON.parse(written!.toString()) as { energyJ: number; rows: { id: string; energyJ: number; windows: number }[] };
    expect(body.rows.find((row) => row.id === last.id)?.windows).toBe(3);
    expect(body.energyJ).toBeCloseTo(
      body.rows.reduce((sum, row) => sum + row.energyJ, 0),
      12,
    );
    expect(body.energyJ).toBeCloseTo(0.9, 12);
  });
});

describe('FleetPages remembered URLs', () => {
  it('keeps at most MAX_FLEET_CACHE_ENTRIES validated URLs and forgets the least recently used, not the first remembered', async () => {
    const { clock, index } = pagesIndex();
    const pages = new FleetPages(index, catalogue, clock);
    const query = (offset: number): FleetPageQuery => ({ status: 'all', sort: 'power', direction: -1, offset, limit: 100 });
    const url = (offset: number) => `/api/fleet?sort=power&offset=${offset}`;
    const dashboard = '/api/fleet?sort=power&dir=desc&offset=0&limit=100';
    pages.remember(dashboard, query(0));
    for (let offset = 1; offset < MAX_FLEET_CACHE_ENTRIES; offset += 1) pages.remember(url(offset), query(offset));
    expect(pages.queryOf(dashboard)).toEqual(query(0)); // the dashboard polls it: the most recently used now
    pages.remember(url(MAX_FLEET_CACHE_ENTRIES), query(MAX_FLEET_CACHE_ENTRIES)); // one past the bound
    expect(pages.queryOf(dashboard)).toEqual(query(0));
    expect(pages.queryOf(url(1))).toBeUndefined(); // the least recently used went
    expect(pages.queryOf(url(MAX_FLEET_CACHE_ENTRIES))).toEqual(query(MAX_FLEET_CACHE_ENTRIES));
  });
});
