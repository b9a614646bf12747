import { statfsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Integration tests drive real brokers, ptys, browsers and child processes; on a busy 2-core machine they take seconds. */
export const INTEGRATION_TEST_TIMEOUT_MS = 60_000;
/** A unit test takes milliseconds: 5 s makes a hang obvious, with room for a busy machine. */
export const UNIT_TEST_TIMEOUT_MS = 5_000;
/** Unit hooks start an in-process HTTP service or open SQLite files: more than a test, still far below a hang. */
export const UNIT_HOOK_TIMEOUT_MS = 10_000;

/**
 * Unit files run two at a time (vitest's default is one fewer than the cores: one, on a 2-core machine); they are
 * CPU-bound and short, so both cores help.
 */
export const UNIT_MAX_WORKERS = 2;

/**
 * Unit tests keep their SQLite files and temp dirs on a RAM disk where there is a roomy one: the store fdatasyncs every
 * commit (by design), and on this host's disk those waits were a third of the unit files' time (their durations summed
 * to 55 s on disk and 36 s on /dev/shm, back to back, with the same CPU time). The code paths are the same (fdatasync
 * is still called); only the wait for the disk goes. Not when TMPDIR is set (the caller chose), nor where the RAM disk is missing or small
 * (Docker's default /dev/shm is 64 MiB).
 */
const UNIT_RAM_DISK = '/dev/shm';
/** Bytes the RAM disk must have free: the unit run's temp files peaked at 1.4 MiB (measured); 1 GiB is a wide margin. */
const UNIT_RAM_DISK_MIN_FREE_BYTES = 1024 ** 3;

function unitTmpDir(): Record<string, string> {
  if (process.env['TMPDIR'] !== undefined) return {};
  try {
    const disk = statfsSync(UNIT_RAM_DISK);
    return disk.bavail * disk.bsize >= UNIT_RAM_DISK_MIN_FREE_BYTES ? { TMPDIR: UNIT_RAM_DISK } : {};
  } catch {
    return {};
  }
}

/** The rule (README, Development): `*.int.test.ts` is integration, every other `*.test.ts` is unit. */
const INTEGRATION_FILES = 'test/**/*.int.test.ts';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [INTEGRATION_FILES],
          setupFiles: ['test/setup/no-child-processes.ts'],
          // Threads sharing one module graph (no re-import of zod, express and the catalogue per file) take the unit
          // run from about a minute to seconds. What a test changes globally it must undo: env stubs are undone here.
          pool: 'threads',
          isolate: false,
          maxWorkers: UNIT_MAX_WORKERS,
          unstubEnvs: true,
          unstubGlobals: true,
          env: unitTmpDir(),
          testTimeout: UNIT_TEST_TIMEOUT_MS,
          hookTimeout: UNIT_HOOK_TIMEOUT_MS,
          // `npm test` runs the unit project first, on its own: it fails fast, and never competes with the timing of an
          // integration test for the two cores.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [INTEGRATION_FILES],
          // One process per file: these tests start brokers, ptys and browsers and must not share module state.
          pool: 'forks',
          testTimeout: INTEGRATION_TEST_TIMEOUT_MS,
          hookTimeout: INTEGRATION_TEST_TIMEOUT_MS,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
