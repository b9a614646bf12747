import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePassword } from '../../src/broker/password-hash.js';
import { resolveApiToken } from '../../src/server/api-token.js';
import { randomSecret } from '../../src/util/secret.js';

/** With one generated secret in 64 beginning with '-', the chance that this many draws all miss it is (63/64)^1000 ≈ 1.5e-7. */
const DRAWS = 1_000;

describe('randomSecret', () => {
  it('draws again when the secret would begin with a dash', () => {
    const draws = [Buffer.from([0xf8, 0, 0]), Buffer.from([0, 0, 0])];
    const secret = randomSecret(3, () => draws.shift()!);
    expect(secret).toBe('AAAA');
    expect(draws).toHaveLength(0);
  });

  it('keeps its length and alphabet', () => {
    const secret = randomSecret(32);
    expect(secret).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
  });
});

describe('generated secrets can be passed as command-line arguments', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmf-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no generated device password begins with a dash', () => {
    const passwords = Array.from({ length: DRAWS }, () => generatePassword());
    expect(passwords.filter((password) => password.startsWith('-'))).toEqual([]);
  });

  it('no generated API token begins with a dash', () => {
    const tokens = Array.from({ length: DRAWS }, (_, i) => resolveApiToken(undefined, path.join(dir, String(i))).token);
    expect(new Set(tokens).size).toBe(DRAWS);
    expect(tokens.filter((token) => token.startsWith('-'))).toEqual([]);
  });
});
