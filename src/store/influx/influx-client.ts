/**
 * One `influx` client as every InfluxDB writer and reader here wants it: one host from an http(s) URL, optional
 * credentials, no retries and no host backoff inside the client (the outbox writer and the fleet sync own retrying),
 * a bounded request time, and a schema copy naming the database.
 */
import { InfluxDB, type ISchemaOptions } from 'influx';
import type { IBackoffStrategy } from 'influx/lib/src/backoff/backoff.js';
import type { IPoolRequestOptions } from 'influx/lib/src/pool.js';
import { ValidationError } from '../../domain/errors.js';

/**
 * How long one request may take before it counts as unavailable (ms). A 5 000-point write takes ≈ 50 ms on this
 * machine; 10 s only runs out when influxd is stuck (a compaction storm, a full disk), and it bounds the outbox
 * writer's wait for an answer that will not come.
 */
export const INFLUX_REQUEST_TIMEOUT_MS = 10_000;

/** The client's host backoff, off: with one host it would refuse every request ("No host available") for its delay. */
const NO_CLIENT_BACKOFF: IBackoffStrategy = {
  getDelay: () => 0,
  next: () => NO_CLIENT_BACKOFF,
  reset: () => NO_CLIENT_BACKOFF,
};

export interface InfluxClientOptions {
  url: string;
  database: string;
  username?: string | undefined;
  password?: string | undefined;
  requestTimeoutMs?: number | undefined;
  /** Without `database`: each is copied with this client's database, because the client writes the database into the
   * schema object it is given (a shared object would apply to the first client's database only, and every other
   * client would write integers as floats). */
  schema: readonly Omit<ISchemaOptions, 'database'>[];
}

export function influxClient(options: InfluxClientOptions): InfluxDB {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError(`influx url must be http(s)://host:port, got ${options.url}`);
  const https = url.protocol === 'https:';
  return new InfluxDB({
    hosts: [{ host: url.hostname, port: Number(url.port || (https ? 443 : 8086)), protocol: https ? 'https' : 'http' }],
    database: options.database,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    schema: options.schema.map((schema) => ({ ...schema, database: options.database })),
    pool: { maxRetries: 0, requestTimeout: options.requestTimeoutMs ?? INFLUX_REQUEST_TIMEOUT_MS, backoff: NO_CLIENT_BACKOFF },
  });
}

/**
 * The `influx` client's HTTP pool, which its writePoints sends the line protocol through (the package has no public
 * write of ready lines), and the Basic auth writePoints adds from the client's resolved options (`user:password`; the
 * client defaults both to `root`): the same hosts, timeout, error types and request as writePoints, without
 * rebuilding each point. The package is pinned to exactly 5.12.0 (package.json); the constructor checks both are there,
 * test/store/influx/influx-window-store.test.ts compares the requests with writePoints', and the contract suite
 * writes through the pool into a real influxd.
 */
export interface InfluxPool {
  discard(options: IPoolRequestOptions): Promise<void>;
}

/** POSTs ready line protocol to /write: the request writePoints sends (same query, auth and pool). */
export type LineWriter = (body: string, retentionPolicy?: string) => Promise<void>;

/** The line writer of `client` into `database` (throws when the client is not the version described above). */
export function lineWriterOf(client: InfluxDB, database: string): LineWriter {
  const internals = client as unknown as { _pool?: Partial<InfluxPool>; _options?: { username?: unknown; password?: unknown } };
  const pool = internals._pool;
  if (typeof pool?.discard !== 'function' || internals._options === undefined) {
    throw new TypeError('the influx client has no request pool (_pool.discard) or options: a version this store does not know');
  }
  const { username, password } = internals._options;
  const auth = typeof username === 'string' ? `${username}:${typeof password === 'string' ? password : ''}` : undefined;
  const discard = (pool as InfluxPool).discard.bind(pool);
  return (body, retentionPolicy) =>
    discard({ method: 'POST', path: '/write', query: { db: database, precision: 'n', rp: retentionPolicy }, body, ...(auth === undefined ? {} : { auth }) });
}
