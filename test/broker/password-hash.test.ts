/** Device passwords: scrypt hashes. */
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/broker/password-hash.js';

describe('passwords', () => {
  it('scrypt hashes verify the right password only and never contain it', async () => {
    const hash = await hashPassword('s3cret-password');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain('s3cret');
    expect(await verifyPassword('s3cret-password', hash)).toBe(true);
    expect(await verifyPassword('s3cret-passwore', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});
