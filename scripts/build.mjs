// `npm run build` (and, with --if-available, npm's `prepare` on `npm ci`): dist/ from scratch with tsc, so
// bin/tinyml-footprint.js starts the CLI without compiling TypeScript. Without TypeScript installed
// (`npm ci --omit=dev`), --if-available only says so: the bin then runs the sources through tsx.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (process.argv.includes('--if-available')) {
    process.stderr.write('typescript is not installed: no dist/ built; bin/tinyml-footprint.js runs the sources through tsx\n');
    process.exit(0);
  }
  throw new Error('typescript is not installed (npm ci installs it)');
}
// Removed or moved sources must not leave stale modules behind.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
