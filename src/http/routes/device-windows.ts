import { Router, type RequestHandler } from 'express';
import { DEFAULT_SERIES_BUCKETS, DEFAULT_WINDOWS_LISTED, DEFAULT_WINDOWS_PAGE, MAX_SERIES_BUCKETS } from '../limits.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { EnergyWindow } from '../../domain/types.js';
import type { SubmitResult, WindowSink } from '../../ingest/window-sink.js';
import type { Store, WindowCursor } from '../../store/store.js';
import type { HttpStats } from '../http-stats.js';
import { seriesQuerySchema, windowBatchSchema, windowSchema, windowsQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';
import { checkWindow, checkWindowBatch, type WindowInput } from '../window-check.js';
import { deviceIdParam } from './device-params.js';

/** What POST /api/devices/:id/windows needs, through Express or ahead of it (ingest-fast-path.ts). */
export interface WindowsIngestDeps {
  store: Store;
  sink: WindowSink;
  stats: HttpStats;
  /**
   * True for a device known to be registered without a store read (the fleet index's rows); false sends the question
   * to the store. Devices are never deleted, so a true answer cannot go stale. Absent: the store is always asked.
   */
  knownRegistered?: (deviceId: string) => boolean;
}

export interface DeviceWindowsDeps extends WindowsIngestDeps {
  requireToken: RequestHandler;
  clock: () => number;
}

/** The answer to an ingest request: 201 when a window was stored, 200 when every one was a duplicate. */
export interface IngestAnswer {
  status: 200 | 201;
  result: SubmitResult;
}

/** The body's windows: the common shapes through the hand-written check, anything else through zod (its issues name the field). */
function windowsOf(raw: unknown): readonly WindowInput[] {
  const isBatch = typeof raw === 'object' && raw !== null && 'windows' in raw;
  if (isBatch) return (checkWindowBatch(raw) ?? validate(windowBatchSchema, raw, 'energy windows')).windows;
  return [checkWindow(raw) ?? validate(windowSchema, raw, 'energy window')];
}

/**
 * POST /api/devices/:id/windows once its body is parsed (`raw`, the JSON value; `{}` for an empty body): validated,
 * the device looked up (404), the windows submitted (the answer follows their commit), counted. Errors are thrown, as
 * the route has always thrown them (ValidationError, NotFoundError, the sink's), for the caller's problem answer.
 */
export async function ingestWindows(deps: WindowsIngestDeps, deviceId: string, raw: unknown): Promise<IngestAnswer> {
  const items = windowsOf(raw);
  const known = deps.knownRegistered?.(deviceId) === true;
  if (!known && (await deps.store.getDevice(deviceId)) === undefined) throw new NotFoundError(`device "${deviceId}" is not registered`);
  const windows: EnergyWindow[] = items.map((item) => ({
    deviceId,
    seq: item.seq,
    startMs: item.startMs,
    durationS: item.durationS,
    energyJ: item.energyJ,
    sampleCount: item.sampleCount ?? 0,
    minPowerW: item.minPowerW ?? null,
    maxPowerW: item.maxPowerW ?? null,
    inferenceCount: item.inferenceCount ?? 0,
    source: 'http',
    startStampedBy: 'device', // startMs is required: the client's own clock
  }));
  // The sink checks the window rules (as for every source): an implausible window refuses the whole request (400
  // naming it, with its reason), and so does an overlapping one (400, one line per window): nothing is stored.
  const result = await deps.sink.submitWindows(windows, { onRefusal: 'refuse-batch' });
  deps.stats.countWindows(result.inserted, result.duplicates);
  return { status: result.inserted > 0 ? 201 : 200, result };
}

const MS_PER_S = 1_000;

function cursorText(cursor: WindowCursor): string {
  return `${cursor.startMs}.${cursor.seq}.${cursor.seqUse}`;
}

/** The cursor's text is checked by the query schema (WINDOW_CURSOR_PATTERN): three decimal integers. */
function parseCursor(text: string): WindowCursor {
  const [startMs, seq, seqUse] = text.split('.').map(Number) as [number, number, number];
  return { startMs, seq, seqUse };
}

/** HTTP ingest of energy windows (idempotent by seq); a device's windows (most recent, or by time range, paged) and its series. */
export function deviceWindowsRouter(deps: DeviceWindowsDeps): Router {
  const { store, requireToken } = deps;
  const router = Router();

  router.post('/devices/:id/windows', requireToken, async (req, res) => {
    const answer = await ingestWindows(deps, deviceIdParam(req), req.body ?? {});
    res.status(answer.status).json(answer.result);
  });

  router.get('/devices/:id/windows', async (req, res) => {
    const query = validate(windowsQuerySchema, req.query, 'query');
    const deviceId = deviceIdParam(req);
    if ((await store.getDevice(deviceId)) === undefined) throw new NotFoundError(`device "${deviceId}" is not registered`);
    if (query.from === undefined && query.to === undefined && query.cursor === undefined) {
      res.json({ windows: await store.listWindows(deviceId, query.limit ?? DEFAULT_WINDOWS_LISTED) });
      return;
    }
    const fromMs = query.from ?? 0;
    const toMs = query.to ?? Number.MAX_SAFE_INTEGER;
    if (fromMs > toMs) throw new ValidationError(`from (${fromMs}) is after to (${toMs})`);
    const page = await store.listWindowsInRange(deviceId, {
      fromMs,
      toMs,
      limit: query.limit ?? DEFAULT_WINDOWS_PAGE,
      ...(query.cursor === undefined ? {} : { after: parseCursor(query.cursor) }),
    });
    res.json({ windows: page.windows, nextCursor: page.next === null ? null : cursorText(page.next) });
  });

  router.get('/devices/:id/series', async (req, res) => {
    const query = validate(seriesQuerySchema, req.query, 'query');
    const deviceId = deviceIdParam(req);
    if ((await store.getDevice(deviceId)) === undefined) throw new NotFoundError(`device "${deviceId}" is not registered`);
    const toMs = query.to ?? Math.max(deps.clock(), query.from ?? 0); // a from in the future: an empty series, not a 400
    const fromMs = query.from ?? (query.step === undefined ? toMs - 86_400 * MS_PER_S : toMs - query.step * MS_PER_S * DEFAULT_SERIES_BUCKETS);
    if (fromMs > toMs) throw new ValidationError(`from (${fromMs}) is after to (${toMs})`);
    const stepS = query.step ?? Math.max(1, Math.ceil((toMs - fromMs) / MS_PER_S / DEFAULT_SERIES_BUCKETS));
    const buckets = Math.ceil((toMs - fromMs) / (stepS * MS_PER_S));
    if (buckets > MAX_SERIES_BUCKETS)
      throw new ValidationError(`${buckets} buckets of ${stepS} s from ${fromMs} to ${toMs}: at most ${MAX_SERIES_BUCKETS}; use a longer step`);
    const rows = await store.windowSeries(deviceId, { fromMs, toMs, stepMs: stepS * MS_PER_S });
    res.json({
      deviceId,
      fromMs,
      toMs,
      stepS,
      buckets: rows.map((row) => ({
        startMs: row.startMs,
        windows: row.windows,
        energyJ: row.energyJ,
        observedS: row.observedS,
        coverage: row.observedS / stepS,
        avgPowerW: row.observedS > 0 ? row.energyJ / row.observedS : null,
        minPowerW: row.minPowerW,
        maxPowerW: row.maxPowerW,
        inferences: row.inferences,
      })),
    });
  });

  return router;
}
