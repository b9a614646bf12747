import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

describe('reference C encoder (firmware-protocol/c)', () => {
  it('builds with gcc -Wall -Wextra -Werror and passes its tests against vectors.json', () => {
    // Needs gcc and make: this FAILS (not skips) without them. CI: apt-get install -y gcc make.
    const result = spawnSync('make', ['-C', 'firmware-protocol/c', 'test'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.error, 'make must be installed').toBeUndefined();
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/test_tmf: \d+ checks, 0 failures/);
  });

  it('the Arduino example carries an identical copy of the library', () => {
    for (const file of ['tmf.h', 'tmf.c']) {
      const original = readFileSync(new URL(`firmware-protocol/c/${file}`, ROOT), 'utf8');
      const copy = readFileSync(new URL(`firmware-protocol/arduino/tinyml_ina226/src/tmf/${file}`, ROOT), 'utf8');
      expect(copy, `${file}: run make -C firmware-protocol/c sync-arduino`).toBe(original);
    }
  });
});
