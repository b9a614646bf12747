/**
 * One `influx` client as every InfluxDB writer and reader here wants it: one host from an http(s) URL, optional
 * credentials, no retries and no host backoff inside the client (the outbox writer and the fleet sync own retrying),
 * a bounded request time, and a schema copy naming the database.
 */
import { InfluxDB, type ISchemaOptions } from 'influx';
import type { IBackoffStrategy } from 'influx/lib/src/backoff/backoff.js';
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
