/**
 * A node child process that says `listening on <url>` once it listens (`serve`, or a bench's baseline server): spawn,
 * wait for that line, keep what it prints, stop it. The benches measure these processes, so this module changes none
 * of what they run: the caller gives node's arguments, the working directory, the environment and whether stdout is
 * read at all (a piped stdout is work for the child that an ignored one is not).
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The line a listening child prints (the service's log line, a baseline's own); the URL ends at white space or a quote (JSON logs). */
const LISTENING_RE = /listening on (http:\/\/[^\s"]+)/;
/**
 * Milliseconds a child may take to listen before the start fails: `serve` listens before it loads its fleet, in well
 * under a second from dist/; through tsx on a loaded 2-core machine it took seconds. Two minutes only ends a hang.
 */
export const LISTEN_TIMEOUT_MS = 120_000;
/** Milliseconds a child that failed to listen in time has to exit after SIGTERM before it is killed (no bench leaves it behind). */
export const STOP_GRACE_MS = 5_000;

export interface ListeningChildOptions {
  cwd: string;
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  /** 'pipe': stdout is read and kept in output() beside stderr; 'ignore' (default): stdout goes nowhere. */
  stdout?: 'ignore' | 'pipe';
  /**
   * Which lines printed after the listening line output() keeps (everything before it is kept, for the error of a
   * start that fails). Absent: all of it; false: none (still read, so that the child never blocks on a full pipe, but
   * not even split into lines). A bench that reads nothing after the start, or only a probe's lines, drops the access
   * log here instead of holding it in memory.
   */
  keepLine?: ((line: string) => boolean) | false;
  /** Called with the child right after the spawn (a bench that kills every child it started on its way out). */
  onSpawn?: (child: ChildProcess) => void;
  listenTimeoutMs?: number;
}

export interface ListeningChild {
  child: ChildProcess;
  pid: number | undefined;
  /** The URL of its `listening on` line. */
  url: string;
  /** performance.now() just before the spawn: the start of a startup timing. */
  spawnedAtMs: number;
  /** What it printed on stderr (and stdout if piped), as `keepLine` keeps it. */
  output(): string;
  /** Resolves when the child has exited. */
  exited: Promise<void>;
  /** SIGTERM unless it has exited (a graceful stop: a --cpu-prof profile is written), resolved once it exited. */
  stop(): Promise<void>;
}

/** Keeps the lines that `keepLine` accepts out of chunks that may split a line anywhere. */
export class LineKeeper {
  private partial = '';
  private kept = '';

  constructor(private readonly keepLine: (line: string) => boolean) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) if (this.keepLine(line)) this.kept += `${line}\n`;
  }

  /** The whole lines kept so far, each with its newline. */
  text(): string {
    return this.kept;
  }
}

/** `node <nodeArgs>` as a child that prints `listening on <url>`; resolves once it did, rejects if it exits or times out first. */
export function startListeningChild(nodeArgs: readonly string[], options: ListeningChildOptions): Promise<ListeningChild> {
  const spawnedAtMs = performance.now();
  const child = spawn(process.execPath, nodeArgs, { cwd: options.cwd, env: options.env, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] });
  options.onSpawn?.(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = (): Promise<void> => stopChild(child);
  let before = '';
  let after: LineKeeper | undefined;
  let afterAll = '';
  let url: string | undefined;
  const output = (): string => before + (after === undefined ? afterAll : after.text());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, STOP_GRACE_MS).unref();
      reject(new Error(`no listening line within ${options.listenTimeoutMs ?? LISTEN_TIMEOUT_MS} ms: node ${nodeArgs.join(' ')}\n${before}`));
    }, options.listenTimeoutMs ?? LISTEN_TIMEOUT_MS);
    const onData = (chunk: string): void => {
      if (url !== undefined) {
        if (after !== undefined) after.push(chunk);
        else if (options.keepLine !== false) afterAll += chunk;
        return;
      }
      before += chunk;
      const match = LISTENING_RE.exec(before);
      if (match === null) return;
      url = match[1]!;
      if (typeof options.keepLine === 'function') {
        // the rest of the listening line's chunk, past its line, is printed after it
        const lineEnd = before.indexOf('\n', match.index);
        after = new LineKeeper(options.keepLine);
        if (lineEnd !== -1) {
          after.push(before.slice(lineEnd + 1));
          before = before.slice(0, lineEnd + 1);
        }
      }
      clearTimeout(timer);
      resolve({ child, pid: child.pid, url, spawnedAtMs, output, exited, stop });
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', onData);
    }
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': its last output is read by then, for the error
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (url === undefined) reject(new Error(`exited (${signal ?? code}) before listening: node ${nodeArgs.join(' ')}\n${before}`));
    });
  });
}

/** Milliseconds between two looks for a probe's report: short next to the report's own few ms, light on the bench. */
const PROBE_POLL_MS = 10;
/** Milliseconds a probe's report may take: it prints within a few ms of SIGUSR2; this only ends a report that never comes. */
export const PROBE_REPORT_TIMEOUT_MS = 30_000;

/**
 * A probe's report from the child: SIGUSR2, then the JSON of the next `<tag> {…}` line it prints (bench/loop-delay-probe.mjs
 * prints LOOP_DELAY, bench/loop-task-probe.mjs LOOP_TASK). Fails if the child exits first, or after PROBE_REPORT_TIMEOUT_MS.
 */
export async function probeReport<T>(listening: ListeningChild, tag: string): Promise<T> {
  const { child } = listening;
  const deadlineMs = performance.now() + PROBE_REPORT_TIMEOUT_MS;
  const before = listening.output().length;
  const pattern = new RegExp(`${tag} (\\{.*\\})\\n`);
  child.kill('SIGUSR2');
  for (;;) {
    const match = pattern.exec(listening.output().slice(before));
    if (match) return JSON.parse(match[1]!) as T;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the child exited (${child.exitCode ?? child.signalCode}) before its ${tag} report`);
    if (performance.now() > deadlineMs) throw new Error(`no ${tag} report within ${PROBE_REPORT_TIMEOUT_MS} ms (does the child keep its lines? see keepLine)`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_POLL_MS));
  }
}

/** Stops any child (SIGTERM) unless it has exited, resolved once it exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
