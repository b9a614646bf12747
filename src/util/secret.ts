import { randomBytes } from 'node:crypto';

/**
 * A random secret of `bytes` bytes as base64url, never beginning with '-': a token or password that begins with '-' is
 * read as an option by command-line parsers (`--token -x…` is refused by ours as ambiguous), so one in 64 generated
 * secrets could not be passed as an argument. Drawing again costs log2(64/63) ≈ 0.02 bits of the secret's entropy.
 */
export function randomSecret(bytes: number, draw: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const secret = draw(bytes).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}
