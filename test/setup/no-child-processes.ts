/**
 * Setup file of the unit project: a unit test starts no child process. Every way node:child_process has to start one
 * throws instead, so a test that needs socat, Mosquitto, Chromium, gcc or the CLI fails at once with the rule, instead
 * of making the fast suite slow: such a test is an integration test, named `*.int.test.ts`.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

for (const name of STARTERS) {
  Object.defineProperty(childProcess, name, {
    configurable: true,
    writable: true,
    value: () => {
      throw new Error(`a unit test started a child process (child_process.${name}): make it an integration test, *.int.test.ts`);
    },
  });
}
// Named imports (`import { spawn } from 'node:child_process'`) read the ESM bindings: update them too.
syncBuiltinESMExports();
