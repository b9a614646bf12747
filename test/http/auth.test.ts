/** The bearer token check (src/http/auth.ts) shared by the Express routes and the ingest fast path. */
import { describe, expect, it } from 'vitest';
import { bearerCheck } from '../../src/http/auth.js';

describe('bearerCheck', () => {
  const check = bearerCheck('s3cret-tökén');
  it('accepts the token, whatever the scheme case and surrounding spaces', () => {
    expect(check('Bearer s3cret-tökén')).toBe('ok');
    expect(check('bearer    s3cret-tökén  ')).toBe('ok');
  });
  it('refuses another token of the same length, a prefix, a longer one, a blank one', () => {
    expect(check('Bearer s3cret-tökéX')).toBe('invalid');
    expect(check('Bearer s3cret-tokén')).toBe('invalid'); // same characters count, other bytes
    expect(check('Bearer s3cret')).toBe('invalid');
    expect(check('Bearer s3cret-tökén-and-more')).toBe('invalid');
    expect(check('Bearer  ')).toBe('invalid'); // a blank token, as before this check was shared
  });
  it('calls a header without a bearer token missing', () => {
    expect(check(undefined)).toBe('missing');
    expect(check('')).toBe('missing');
    expect(check('Basic czNjcmV0')).toBe('missing');
    expect(check('s3cret-tökén')).toBe('missing');
  });
});
