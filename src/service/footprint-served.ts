import { hash } from 'node:crypto';

/**
 * What GET /api/devices/:id/footprint sends, in three parts: the per-device head (device, aggregate, status), the
 * entry's ready bytes (the footprint up to accrued, about 12 KB, encoded once per entry and not per request), and the
 * per-device tail (accrued, the power's uncertainty, per-inference figures). A server writes the three as they are;
 * `body` joins them.
 */
export class ServedFootprint {
  constructor(
    readonly head: string,
    readonly prefix: Buffer,
    readonly tail: string,
    /** Strong entity tag (quoted): the same tag means the same bytes. */
    readonly etag: string,
    /** Bytes of the body (Content-Length). */
    readonly byteLength: number,
  ) {}

  /** The whole body as one string: equals JSON.stringify(deviceFootprint(…)). */
  get body(): string {
    return `${this.head}${this.prefix.toString('utf8')}${this.tail}`;
  }
}

/** A short content tag: one-shot crypto.hash, half the cost of a createHash object for the ~1 KB hashed (same digest). */
export function tag(text: string): string {
  return hash('sha1', text, 'base64url').slice(0, 16);
}

/** True when an If-None-Match header names this tag (or `*`). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch === etag) return true; // a polling client sends back the one tag it was given: no list to split
  return ifNoneMatch
    .split(',')
    .map((candidate) => candidate.trim().replace(/^W\//, ''))
    .some((candidate) => candidate === etag || candidate === '*');
}
