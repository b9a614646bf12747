import { Router, type Request, type Response } from 'express';
import { compressBody, COMPRESS_MIN_BYTES, negotiateEncoding, type ContentEncoding } from '../compress.js';
import { DEFAULT_FLEET_PAGE_ROWS, MAX_FLEET_CACHE_ENTRIES } from '../limits.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import type { FleetIndex } from '../../service/fleet-index.js';
import { fleetSelection, selectionFollowsOrderVersion, type FleetPageQuery, type FleetSelection } from '../../service/fleet-page.js';
import { fleetQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';

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
  perFleet.delete(key);
  while (perFleet.size >= MAX_FLEET_CACHE_ENTRIES) perFleet.delete(perFleet.keys().next().value!);
  perFleet.set(key, { version: index.version, complete: index.complete, syncedAtMs: index.syncedAtMs, registeredDevices, body });
  return body;
}

/**
 * GET /api/fleet: the fleet totals from the index (O(1)) and, unless `rows=false`, one page of rows filtered and sorted
 * on the server. Concurrent requests for the same page at the same index version share one computation, one
 * serialisation and one compression (br or gzip, off the event loop, for bodies of COMPRESS_MIN_BYTES and more).
 */
export function fleetRouter(index: FleetIndex, catalogue: Catalogue, clock: () => number): Router {
  const router = Router();
  const pages = new Map<string, SharedPage>();

  const render = (query: FleetPageQuery, fleet: string | undefined, selection: FleetSelection, atMs: number): string => {
    const totals = index.totals(fleet);
    const rows = selection.devices.map((row) => index.fleetRow(row, atMs));
    return JSON.stringify({
      ...totals,
      computedAtMs: atMs,
      registeredDevices: index.registeredDevices(fleet),
      complete: index.complete,
      ...syncFields(index),
      // The rows are one page of what matched: more exist before or after it.
      truncated: query.offset > 0 || query.offset + rows.length < selection.matched,
      matched: selection.matched,
      offset: query.offset,
      rows,
    });
  };

  /** A new shared page: its selection kept from `previous` when nothing it depends on changed, else scanned anew. */
  const sharedPage = (query: FleetPageQuery, fleet: string | undefined, previous: SharedPage | undefined): SharedPage => {
    const atMs = clock();
    const reuse = previous !== undefined && previous.orderVersion === index.orderVersion && selectionFollowsOrderVersion(query);
    const orderVersion = index.orderVersion;
    const selection = reuse ? previous.selection : fleetSelection(index, query, atMs, catalogue.assumptions.assumedPowerW);
    const version = index.version;
    return { version, orderVersion, selection, body: selection.then((chosen) => render(query, fleet, chosen, clock())), bytes: null, encoded: new Map() };
  };

  router.get('/fleet', async (req, res) => {
    const query = validate(fleetQuerySchema, req.query, 'query');
    if (query.rows === 'false') {
      res.type('application/json').send(await fleetTotalsBody(index, clock, query.fleet));
      return;
    }
    await index.current();
    const pageQuery: FleetPageQuery = {
      ...(query.fleet === undefined ? {} : { fleet: query.fleet }),
      ...(query.q === undefined ? {} : { text: query.q }),
      status: query.status ?? 'all',
      sort: query.sort ?? 'id',
      direction: query.dir === 'desc' ? -1 : 1,
      offset: query.offset ?? 0,
      limit: query.limit ?? DEFAULT_FLEET_PAGE_ROWS,
    };
    const key = JSON.stringify(pageQuery);
    let shared = pages.get(key);
    if (shared === undefined || shared.version !== index.version) {
      shared = sharedPage(pageQuery, query.fleet, shared);
      pages.delete(key);
      while (pages.size >= MAX_FLEET_CACHE_ENTRIES) pages.delete(pages.keys().next().value!);
      pages.set(key, shared);
      shared.body.catch(() => pages.delete(key));
    }
    await send(req, res, shared);
  });
  return router;
}

/** How current the totals are when several instances share the store (docs/fleet-truth.md): null fields otherwise. */
function syncFields(index: FleetIndex): { syncedAtMs: number | null; syncIntervalMs: number | null } {
  return { syncedAtMs: index.syncedAtMs, syncIntervalMs: index.syncIntervalMs };
}

async function send(req: Request, res: Response, shared: SharedPage): Promise<void> {
  const body = await shared.body;
  res.vary('accept-encoding');
  const encoding = body.length >= COMPRESS_MIN_BYTES ? negotiateEncoding(req.headers['accept-encoding']) : null;
  if (encoding === null) {
    shared.bytes ??= Buffer.from(body);
    res.type('application/json').send(shared.bytes);
    return;
  }
  let encoded = shared.encoded.get(encoding);
  if (encoded === undefined) {
    encoded = compressBody(body, encoding);
    shared.encoded.set(encoding, encoded);
  }
  res
    .type('application/json')
    .set('content-encoding', encoding)
    .send(await encoded);
}
