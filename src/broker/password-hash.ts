/**
 * Device passwords: generated random secrets, stored only as scrypt hashes (node:crypto), verified in constant time.
 * Format: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` so the parameters can be raised later.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { randomSecret } from '../util/secret.js';

/** scrypt cost N = 2^14 (OWASP's minimum for scrypt with r=8, p=1): ~40 ms per check, 16 MiB of memory. */
export const SCRYPT_COST = 16_384;
export const SCRYPT_BLOCK_SIZE = 8;
export const SCRYPT_PARALLELISM = 1;
/** Derived key and salt lengths (bytes). */
export const SCRYPT_KEY_BYTES = 32;
export const SCRYPT_SALT_BYTES = 16;
/** Random bytes of a generated password: 192 bits, 32 base64url characters. */
export const GENERATED_PASSWORD_BYTES = 24;
/** Longest password accepted for checking (bytes): bounds scrypt's input. */
export const MAX_PASSWORD_BYTES = 256;

function derive(password: Buffer, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export function generatePassword(): string {
  return randomSecret(GENERATED_PASSWORD_BYTES);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = await derive(Buffer.from(password, 'utf8'), salt, { N: SCRYPT_COST, r: SCRYPT_BLOCK_SIZE, p: SCRYPT_PARALLELISM });
  return ['scrypt', SCRYPT_COST, SCRYPT_BLOCK_SIZE, SCRYPT_PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

/** False for a wrong password or a malformed stored hash; never throws for bad input. */
export async function verifyPassword(password: Buffer | string, stored: string): Promise<boolean> {
  const candidate = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (candidate.length === 0 || candidate.length > MAX_PASSWORD_BYTES) return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((value) => Number.isInteger(value) && value > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length !== SCRYPT_KEY_BYTES) return false;
  // maxmem: scrypt needs 128·N·r bytes; allow twice that.
  const key = await derive(candidate, salt, { N: n, r, p, maxmem: 256 * n * r });
  return timingSafeEqual(key, expected);
}
