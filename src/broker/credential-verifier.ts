/**
 * Checks a device's user name and password against the credential store. scrypt costs ~40 ms of CPU per check,
 * so a fleet reconnecting after a broker restart would queue for minutes: a verified (password digest, stored
 * hash) pair is remembered, and a re-issued credential (new stored hash) misses the cache automatically.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CredentialStore } from './credential-store.js';
import type { DeviceIdentity } from './device-acl.js';
import { verifyPassword } from './password-hash.js';

/** Devices whose last good password is remembered; past this the cache is cleared (costs one scrypt each). */
export const MAX_VERIFIED_CACHE_ENTRIES = 100_000;

interface CacheEntry {
  passwordHash: string;
  digest: Buffer;
}

function sha256(password: Buffer): Buffer {
  return createHash('sha256').update(password).digest();
}

export class CredentialVerifier {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly store: CredentialStore) {}

  /** The identity for good credentials, null otherwise. */
  async verify(username: string | undefined, password: Buffer | undefined): Promise<DeviceIdentity | null> {
    if (username === undefined || password === undefined || username.length === 0) return null;
    const credential = await this.store.get(username);
    if (credential === undefined) return null;
    const digest = sha256(password);
    const cached = this.cache.get(username);
    if (cached !== undefined && cached.passwordHash === credential.passwordHash && timingSafeEqual(cached.digest, digest)) {
      return { deviceId: credential.deviceId, fleet: credential.fleet };
    }
    if (!(await verifyPassword(password, credential.passwordHash))) return null;
    if (this.cache.size >= MAX_VERIFIED_CACHE_ENTRIES) this.cache.clear();
    this.cache.set(username, { passwordHash: credential.passwordHash, digest });
    return { deviceId: credential.deviceId, fleet: credential.fleet };
  }
}
