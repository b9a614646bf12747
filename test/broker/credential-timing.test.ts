/**
 * Unknown user names and wrong passwords cost the same work (no enumeration of device ids by timing): both run one
 * scrypt with the parameters real hashes use, whatever the verified-password cache holds. The timing itself is a
 * benchmark figure (bench/credentials.ts), not asserted here.
 */
import { describe, expect, it } from 'vitest';
import { SqliteCredentialStore } from '../../src/broker/credential-store.js';
import { CredentialVerifier } from '../../src/broker/credential-verifier.js';
import { issueCredential } from '../../src/broker/issue-credentials.js';
import { SCRYPT_BLOCK_SIZE, SCRYPT_COST, SCRYPT_PARALLELISM, verifyPassword } from '../../src/broker/password-hash.js';

/** The scrypt parameters of a stored hash `scrypt$N$r$p$salt$hash`. */
function parameters(hash: string): string {
  return hash.split('$').slice(0, 4).join('$');
}

describe('credential verification work', () => {
  it('runs one scrypt of the same cost for an unknown user, a wrong password and a cold right password', async () => {
    const store = SqliteCredentialStore.open(':memory:');
    try {
      const { password } = await issueCredential(store, 'node-1', null);
      const calls: string[] = [];
      const verifier = new CredentialVerifier(store, async (candidate, stored) => {
        calls.push(parameters(stored));
        return verifyPassword(candidate, stored);
      });
      const attempt = async (username: string, secret: string): Promise<{ ok: boolean; scrypts: string[] }> => {
        calls.length = 0;
        const identity = await verifier.verify(username, Buffer.from(secret));
        return { ok: identity !== null, scrypts: [...calls] };
      };
      const real = parameters((await store.get('node-1'))!.passwordHash);
      expect(real).toBe(`scrypt$${SCRYPT_COST}$${SCRYPT_BLOCK_SIZE}$${SCRYPT_PARALLELISM}`);

      expect(await attempt('ghost', 'x'.repeat(32))).toEqual({ ok: false, scrypts: [real] });
      expect(await attempt('node-1', 'x'.repeat(32))).toEqual({ ok: false, scrypts: [real] });
      expect(await attempt('node-1', password)).toEqual({ ok: true, scrypts: [real] });
      // The cache answers only the right password; a wrong one, or an unknown user, still costs a full scrypt.
      expect(await attempt('node-1', password)).toEqual({ ok: true, scrypts: [] });
      expect(await attempt('node-1', 'y'.repeat(32))).toEqual({ ok: false, scrypts: [real] });
      expect(await attempt('ghost', password)).toEqual({ ok: false, scrypts: [real] });
      // An empty password is refused before scrypt by the check itself, for known and unknown users alike.
      expect(await attempt('ghost', '')).toEqual({ ok: false, scrypts: [real] });
      expect(await attempt('node-1', '')).toEqual({ ok: false, scrypts: [real] });
    } finally {
      await store.close();
    }
  });
});
