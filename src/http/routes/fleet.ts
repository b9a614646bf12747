import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import { compressBody, COMPRESS_MIN_BYTES, negotiateEncoding, type ContentEncoding } from '../compress.js';
import { DEFAULT_FLEET_PAGE_ROWS, MAX_FLEET_CACHE_ENTRIES } from '../limits.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import type { FleetIndex } from '../../service/fleet-index.js';
import { StepBudget } from '../../service/fleet-step.js';
import { fleetSelection, selectionFollowsOrderVersion, type FleetPageQuery, type FleetSelection } from '../../service/fleet-page.js';
import { fleetQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';
import { setBounded } from '../../util/bounded-map.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/**
 * Rows of a page rendered and serialised between two looks at the turn's budget (FLEET_STEP_BUDGET_MS): 100 rows are
 * about 50 KB of JSON, 1–3 ms. A page of MAX_FLEET_PAGE_ROWS (2 000) rendered and serialised in one task took 14–18 ms
 * at 100 000 devices (bench/fleet-edges.ts), the dashboard's page of 100 still takes one slice.
 */
export const PAGE_RENDER_SLICE_ROWS = 100;

/** One page's answer, serialised once and compressed at most once per encoding, for every request that shares it. */
interface SharedPage {
  /** FleetIndex.version it was computed at: any change to any row makes it stale. */
  version: number;
  /** FleetIndex.orderVersion its selection was made at, and the selection (rendered again while that holds, if the query allows). */
  orderVersion: number;
  selection: Promise<FleetSelection>;
  body: Promise<string>;
  /** The body's UTF-8 bytes, encoded once for every uncompressed answer (a 100-row page is about 50 KB). */
  bytes: Buffer | null;
  encoded: Map<ContentEncoding, Promise<Buffer>>;
}

/** The totals' answer as serialised last, with the index's state it was serialised at: shared until that state moves. */
interface SharedTotals {
  version: number;
  complete: boolean;
  syncedAtMs: number | null;
  registeredDevices: number;
  body: string;
}

/** Per index, per fleet ('' for all devices): at most MAX_FLEET_CACHE_ENTRIES fleets, the least recently asked dropped. */
const sharedTotals = new WeakMap<FleetIndex, Map<string, SharedTotals>>();

/**
 * The body of GET /api/fleet?rows=false, shared with the fast path (fast-path.ts): O(1) from the index once it is
 * current, and serialised once per state of the index. Every change of the totals (a row, an online expiry, the accrued
 * refresh) moves `index.version`, so requests in between get the same body, `computedAtMs` being when it was computed.
 */
export async function fleetTotalsBody(index: FleetIndex, clock: () => number, fleet: string | undefined): Promise<string> {
  await index.current();
  index.expireDue();
  let perFleet = sharedTotals.get(index);
  if (perFleet === undefined) {
    perFleet = new Map();
    sharedTotals.set(index, perFleet);
  }
  const key = fleet ?? '';
  const registeredDevices = index.registeredDevices(fleet);
  const shared = perFleet.get(key);
  if (
    shared !== undefined &&
    shared.version === index.version &&
    shared.complete === index.complete &&
    shared.syncedAtMs === index.syncedAtMs &&
    shared.registeredDevices === registeredDevices
  )
    return shared.body;
  const body = JSON.stringify({
    ...index.totals(fleet),
    computedAtMs: clock(),
    registeredDevices,
    complete: index.complete,
    ...syncFields(index),
    truncated: false,
  });
  setBounded(
    perFleet,
    key,
    { version: index.version, complete: index.complete, syncedAtMs: index.syncedAtMs, registeredDevices, body },
    MAX_FLEET_CACHE_ENTRIES,
  );
  return body;
}

/**
 * The pages of one index's fleet, shared by the requests that ask for the same page at the same index version, and
 * the raw URLs the Express route validated to each page query: the fast path (fast-path.ts) answers such a URL again
 * without Express's router and the query's validation, never parsing a URL itself.
 */
export class FleetPages {
  private readonly pages = new Map<string, SharedPage>();
  /** Raw URLs (as the client sent them) the route validated, each with its page query; at most MAX_FLEET_CACHE_ENTRIES. */
  private readonly queries = new Map<string, FleetPageQuery>();

  constructor(
    private readonly index: FleetIndex,
    private readonly catalogue: Catalogue,
    private readonly clock: () => number,
  ) {}

  /** The page query Express validated this raw URL to, if it did; a hit makes the URL the most recently used. */
  queryOf(url: string): FleetPageQuery | undefined {
    const query = this.queries.get(url);
    if (query !== undefined) setBounded(this.queries, url, query, MAX_FLEET_CACHE_ENTRIES);
    return query;
  }

  /** Remember a URL Express validated; past MAX_FLEET_CACHE_ENTRIES the least recently used is forgotten. */
  remember(url: string, query: FleetPageQuery): void {
    if (!this.queries.has(url)) setBounded(this.queries, url, query, MAX_FLEET_CACHE_ENTRIES);
  }

  /** Answer one page request (the index made current first), sharing the page's computation, body and encodings. */
  async answer(req: IncomingMessage, res: ServerResponse, query: FleetPageQuery): Promise<void> {
    await this.index.current();
    const key = JSON.stringify(query);
    let shared = this.pages.get(key);
    if (shared === undefined || shared.version !== this.index.version) {
      shared = this.sharedPage(query, shared);
      setBounded(this.pages, key, shared, MAX_FLEET_CACHE_ENTRIES);
      shared.body.catch(() => this.pages.delete(key));
    }
    await send(req, res, shared);
  }

  /**
   * The page's JSON: the totals, then the rows rendered and serialised PAGE_RENDER_SLICE_ROWS at a time, waiting for
   * the next turn whenever this one's budget is spent. The totals and the rows are of one state of the index: when
   * the index changed while the render waited (`version` moved: a window, a sync, an expiry), the page is rendered
   * again at once, totals and rows in this turn (a task as long as the page, 8–16 ms for 2 000 rows at 100 000
   * devices, bench/fleet-edges.ts), never an answer whose rows count windows its totals do not.
   */
  private async render(query: FleetPageQuery, selection: FleetSelection, atMs: number, budget: StepBudget): Promise<string> {
    const devices = selection.devices;
    const head = this.pageHead(query, selection, atMs); // (its totals apply the expiries due first: read the version after)
    const version = this.index.version;
    const slices: string[] = [];
    for (let start = 0; start < devices.length; start += PAGE_RENDER_SLICE_ROWS) {
      if (start > 0) {
        await budget.yieldIfDue();
        if (this.index.version !== version) return this.renderNow(query, selection, atMs);
      }
      slices.push(this.rowsJson(devices, start, atMs));
    }
    // The join and the answer's bytes (about 1 MB for 2 000 rows, 1–3 ms) start a turn of their own once this one is spent.
    await budget.yieldIfDue();
    return joinPage(head, slices);
  }

  /** The whole page in this turn: totals and rows of the index as it is now. */
  private renderNow(query: FleetPageQuery, selection: FleetSelection, atMs: number): string {
    const slices: string[] = [];
    for (let start = 0; start < selection.devices.length; start += PAGE_RENDER_SLICE_ROWS) slices.push(this.rowsJson(selection.devices, start, atMs));
    return joinPage(this.pageHead(query, selection, atMs), slices);
  }

  /** The page's JSON without its rows (`"rows":[]` last): the totals, the selection's counts, the index's state. */
  private pageHead(query: FleetPageQuery, selection: FleetSelection, atMs: number): string {
    const { index } = this;
    return JSON.stringify({
      ...index.totals(query.fleet),
      computedAtMs: atMs,
      registeredDevices: index.registeredDevices(query.fleet),
      complete: index.complete,
      ...syncFields(index),
      // The rows are one page of what matched: more exist before or after it.
      truncated: query.offset > 0 || query.offset + selection.devices.length < selection.matched,
      matched: selection.matched,
      offset: query.offset,
      rows: [],
    });
  }

  /** PAGE_RENDER_SLICE_ROWS rows from `start`, rendered at `atMs`, as JSON without their brackets (joined by commas, one array). */
  private rowsJson(devices: FleetSelection['devices'], start: number, atMs: number): string {
    const rows = devices.slice(start, start + PAGE_RENDER_SLICE_ROWS).map((row) => this.index.fleetRow(row, atMs));
    return JSON.stringify(rows).slice(1, -1);
  }

  /** A new shared page: its selection kept from `previous` when nothing it depends on changed, else scanned anew. */
  private sharedPage(query: FleetPageQuery, previous: SharedPage | undefined): SharedPage {
    const { index, clock } = this;
    const atMs = clock();
    const reuse = previous !== undefined && previous.orderVersion === index.orderVersion && selectionFollowsOrderVersion(query);
    const orderVersion = index.orderVersion;
    const selection = reuse ? previous.selection : fleetSelection(index, query, atMs, this.catalogue.assumptions.assumedPowerW);
    const version = index.version;
    // The render (a row per device, accrued figures at this time, one JSON of up to MAX_FLEET_PAGE_ROWS rows) is fleet
    // work like the scan: it waits for the next turn when this one's FLEET_STEP_BUDGET_MS is spent (the dashboard's page,
    // overview and top-5 arrive together, and their renders used to run in one task with everything else).
    const body = selection.then(async (chosen) => {
      const budget = new StepBudget();
      await budget.yieldIfDue();
      return this.render(query, chosen, clock(), budget);
    });
    return { version, orderVersion, selection, body, bytes: null, encoded: new Map() };
  }
}

/** `"rows":[]}` (the head's last key) becomes `"rows":[…slices…]}`. */
function joinPage(head: string, slices: readonly string[]): string {
  return `${head.slice(0, -'[]}'.length)}[${slices.join(',')}]}`;
}

/** Per index: its pages, made by its fleetRouter (the fast path finds none before the router exists). */
const fleetPages = new WeakMap<FleetIndex, FleetPages>();

/**
 * The fast path's answer to a GET of `url` (the raw URL) when the Express route has validated this very URL before:
 * the same page, shared with the route's requests. Null for any other URL (Express answers it, and validates it).
 */
export function fleetPageAnswer(index: FleetIndex, url: string): ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null {
  const pages = fleetPages.get(index);
  const query = pages?.queryOf(url);
  if (pages === undefined || query === undefined) return null;
  return (req, res) => pages.answer(req, res, query);
}

/**
 * GET /api/fleet: the fleet totals from the index (O(1)) and, unless `rows=false`, one page of rows filtered and sorted
 * on the server. Concurrent requests for the same page at the same index version share one computation, one
 * serialisation and one compression (br or gzip, off the event loop, for bodies of COMPRESS_MIN_BYTES and more).
 */
export function fleetRouter(index: FleetIndex, catalogue: Catalogue, clock: () => number): Router {
  const router = Router();
  const pages = new FleetPages(index, catalogue, clock);
  fleetPages.set(index, pages);
  router.get('/fleet', async (req, res) => {
    const query = validate(fleetQuerySchema, req.query, 'query');
    if (query.rows === 'false') {
      res.type('application/json').send(await fleetTotalsBody(index, clock, query.fleet));
      return;
    }
    const pageQuery: FleetPageQuery = {
      ...(query.fleet === undefined ? {} : { fleet: query.fleet }),
      ...(query.q === undefined ? {} : { text: query.q }),
      status: query.status ?? 'all',
      sort: query.sort ?? 'id',
      direction: query.dir === 'desc' ? -1 : 1,
      offset: query.offset ?? 0,
      limit: query.limit ?? DEFAULT_FLEET_PAGE_ROWS,
    };
    if (req.method === 'GET') pages.remember(req.originalUrl, pageQuery);
    await pages.answer(req, res, pageQuery);
  });
  return router;
}

/** How current the totals are when several instances share the store (docs/fleet-truth.md): null fields otherwise. */
function syncFields(index: FleetIndex): { syncedAtMs: number | null; syncIntervalMs: number | null } {
  return { syncedAtMs: index.syncedAtMs, syncIntervalMs: index.syncIntervalMs };
}

/**
 * Write a page's answer: its bytes as they are, or compressed when the client accepts it (the same for the Express
 * route and the fast path, which so answer alike: content-type, length, vary, encoding).
 */
async function send(req: IncomingMessage, res: ServerResponse, shared: SharedPage): Promise<void> {
  const body = await shared.body;
  const encoding = body.length >= COMPRESS_MIN_BYTES ? negotiateEncoding(req.headers['accept-encoding']) : null;
  let bytes: Buffer;
  if (encoding === null) {
    bytes = shared.bytes ??= Buffer.from(body);
  } else {
    let encoded = shared.encoded.get(encoding);
    if (encoded === undefined) {
      encoded = compressBody(body, encoding);
      shared.encoded.set(encoding, encoded);
    }
    bytes = await encoded;
  }
  res.writeHead(200, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': bytes.byteLength,
    vary: 'accept-encoding',
    ...(encoding === null ? {} : { 'content-encoding': encoding }),
  });
  res.end(bytes);
}
