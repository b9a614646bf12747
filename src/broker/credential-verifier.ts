/**
 * Checks a device's user name and password against the credential store. scrypt costs ~40 ms of CPU per check,
 * so a fleet reconnecting after a broker restart would queue for minutes: a verified (password digest, stored
 * hash) pair is remembered, and a re-issued credential (new stored hash) misses the cache automatically.
 *
 * No enumeration of device ids by timing: an unknown user name is checked against a dummy hash of the same scrypt
 * cost, so it costs what a wrong password costs. The cache answers only a right password (which reveals nothing the
 * caller does not know); a wrong password or an unknown user always pays the full scrypt.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CredentialStore } from './credential-store.js';
import type { DeviceIdentity } from './device-acl.js';
import { generatePassword, hashPassword, verifyPassword } from './password-hash.js';

/** Devices whose last good password is remembered; past this the cache is cleared (costs one scrypt each). */
export const MAX_VERIFIED_CACHE_ENTRIES = 100_000;

/** A password check against a stored hash (injected by tests to count the work). */
export type PasswordCheck = (password: Buffer, storedHash: string) => Promise<boolean>;

interface CacheEntry {
  passwordHash: string;
  digest: Buffer;
}

function sha256(password: Buffer): Buffer {
  return createHash('sha256').update(password).digest();
}

export class CredentialVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  /** Hash of a random password nobody knows, made with the current scrypt parameters; started at once. */
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly store: CredentialStore,
    private readonly check: PasswordCheck = verifyPassword,
  ) {
    this.dummyHash = hashPassword(generatePassword());
    this.dummyHash.catch(() => {}); // surfaces on first use, not as an unhandled rejection
  }

  /** The identity for good credentials, null otherwise. */
  async verify(username: string | undefined, password: Buffer | undefined): Promise<DeviceIdentity | null> {
    if (username === undefined || password === undefined || username.length === 0) return null;
    const credential = await this.store.get(username);
    const digest = sha256(password);
    const cached = this.cache.get(username);
    if (credential !== undefined && cached !== undefined && cached.passwordHash === credential.passwordHash && timingSafeEqual(cached.digest, digest)) {
      return { deviceId: credential.deviceId, fleet: credential.fleet };
    }
    const matches = await this.check(password, credential?.passwordHash ?? (await this.dummyHash));
    if (credential === undefined || !matches) return null;
    if (this.cache.size >= MAX_VERIFIED_CACHE_ENTRIES) this.cache.clear();
    this.cache.set(username, { passwordHash: credential.passwordHash, digest });
    return { deviceId: credential.deviceId, fleet: credential.fleet };
  }
}
