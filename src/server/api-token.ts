import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomSecret } from '../util/secret.js';

/** File name of the generated API token inside the data directory. */
export const API_TOKEN_FILE = 'api-token';
/** Bytes of randomness in a generated token (256 bits). */
const TOKEN_BYTES = 32;

/** The configured token, else the one kept in the data directory, else a new one written there (mode 0600). */
export function resolveApiToken(configured: string | undefined, dataDir: string): { token: string; origin: 'env' | 'file' | 'generated'; file: string } {
  const file = path.join(dataDir, API_TOKEN_FILE);
  if (configured !== undefined) return { token: configured, origin: 'env', file };
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length > 0) return { token: existing, origin: 'file', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomSecret(TOKEN_BYTES);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, origin: 'generated', file };
}
