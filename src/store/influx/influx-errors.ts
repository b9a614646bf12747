/**
 * The `influx` client's failures, mapped to our two classes (domain/errors.ts) so that nothing above the adapter
 * knows the client: unreachable, timed out or 5xx → StoreUnavailableError (transient), 3xx/4xx → StoreRejectedError
 * (permanent), an error result inside a 200 answer (InfluxQL) → StoreRejectedError. Anything else is a defect of
 * ours (a malformed point) and is rethrown as it is.
 */
import { ResultError } from 'influx';
import { RequestError, ServiceNotAvailableError } from 'influx/lib/src/pool.js';
import { StoreRejectedError, StoreUnavailableError } from '../../domain/errors.js';

/** Node's network error codes that mean "no answer", not "refused for what was sent". */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

export function mapInfluxError(error: unknown, what: string): Error {
  if (error instanceof ServiceNotAvailableError) return new StoreUnavailableError(`InfluxDB ${what}: ${error.message || 'service not available'}`);
  if (error instanceof RequestError) {
    const status = error.res.statusCode ?? 0;
    return new StoreRejectedError(`InfluxDB ${what}: ${error.message}`, status);
  }
  if (error instanceof ResultError) return new StoreRejectedError(`InfluxDB ${what}: ${error.message}`, 200);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) {
    return new StoreUnavailableError(`InfluxDB ${what}: ${code} ${(error as Error).message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A write naming a database InfluxDB does not have (dropped by an operator): set it up again, then retry. */
export function isDatabaseNotFound(error: unknown): boolean {
  return error instanceof StoreRejectedError && error.status === 404 && /database not found/i.test(error.message);
}
