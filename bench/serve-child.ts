/**
 * `serve` in a child process of its own, as the benches run it: an ephemeral HTTP port on loopback, its own data
 * directory, no serial discovery (no board on the bench machine), the embedded broker on an ephemeral port (or the one
 * given), then the bench's own arguments. What node runs is the bench's to say (its node flags, the checkout, the bin
 * or the sources through tsx, the API token, whether stdout is read): this module only starts, watches and stops it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startListeningChild, type ListeningChild, type ListeningChildOptions } from './listening-child.js';

/** This checkout (the benches' own): its bin, dist/ and package.json. */
export const BENCH_CHECKOUT = fileURLToPath(new URL('..', import.meta.url));

/** The `serve` arguments every bench starts the service with (the embedded broker on `mqttPort`, 0: ephemeral). */
export function benchServeArgs(dataDir: string, mqttPort = 0): string[] {
  return ['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', '--mqtt-port', String(mqttPort)];
}

/** The node flags `npm start` gives `serve` in production (package.json's start script), so a bench can run the same process. */
export const NPM_START_NODE_FLAGS: readonly string[] = startNodeFlags();

function startNodeFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(path.join(BENCH_CHECKOUT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = packageJson.scripts.start.split(' ');
  return words.slice(1, words.indexOf('bin/tinyml-footprint.js')).filter((word) => word.startsWith('--'));
}

/** Newest modification time (ms) below `dir`. */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * dist/ as `bin/tinyml-footprint.js` would use it: built, and no file under src/ or data/ newer (its own rule); else
 * `npm run build`, so that a bench's figure has no tsx compile hooks in it.
 */
export function ensureBuilt(): void {
  const builtMain = path.join(BENCH_CHECKOUT, 'dist', 'src', 'cli', 'main.js');
  let builtMs = 0;
  try {
    builtMs = statSync(builtMain).mtimeMs;
  } catch {
    // not built
  }
  if (builtMs > 0 && ['src', 'data'].every((dir) => newestMtimeMs(path.join(BENCH_CHECKOUT, dir)) <= builtMs)) return;
  process.stdout.write('dist/ missing or older than the sources: npm run build\n');
  const built = spawnSync('npm', ['run', 'build'], { cwd: BENCH_CHECKOUT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
}

export interface BenchServeOptions extends Pick<ListeningChildOptions, 'stdout' | 'keepLine' | 'onSpawn' | 'listenTimeoutMs'> {
  dataDir: string;
  /** serve's arguments after benchServeArgs' (a store, a log level, an MQTT URL). */
  args?: readonly string[];
  /** node's own flags, before the entry (a probe's --import, --cpu-prof, NPM_START_NODE_FLAGS). */
  nodeFlags?: readonly string[];
  /** The checkout whose service runs, and the child's working directory (default: this one). */
  checkout?: string;
  /** 'bin' (default): bin/tinyml-footprint.js, which runs dist/ when it is fresh; 'tsx': src/cli/main.ts through tsx. */
  entry?: 'bin' | 'tsx';
  /** TINYML_API_TOKEN for the child; absent: the environment as this process has it. */
  token?: string;
  /** The embedded broker's port (default 0: ephemeral). */
  mqttPort?: number;
}

export type BenchServe = ListeningChild;

const ENTRY_ARGS: Record<NonNullable<BenchServeOptions['entry']>, readonly string[]> = {
  bin: ['bin/tinyml-footprint.js'],
  tsx: ['--import', 'tsx', 'src/cli/main.ts'],
};

/** `node [nodeFlags] <entry> serve …` in `checkout`; resolves once it listens, with its URL. */
export function startBenchServe(options: BenchServeOptions): Promise<BenchServe> {
  const nodeArgs = [
    ...(options.nodeFlags ?? []),
    ...ENTRY_ARGS[options.entry ?? 'bin'],
    ...benchServeArgs(options.dataDir, options.mqttPort),
    ...(options.args ?? []),
  ];
  return startListeningChild(nodeArgs, {
    cwd: options.checkout ?? BENCH_CHECKOUT,
    env: options.token === undefined ? { ...process.env } : { ...process.env, TINYML_API_TOKEN: options.token },
    stdout: options.stdout,
    keepLine: options.keepLine,
    onSpawn: options.onSpawn,
    listenTimeoutMs: options.listenTimeoutMs,
  });
}
