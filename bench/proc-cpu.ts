/**
 * Another process's CPU time from /proc (Linux), for the benches that run the service, influxd or a broker in a
 * process of their own: utime and stime of /proc/<pid>/stat (all threads), and the pid of a process found by its
 * command line. Elsewhere (no /proc) the readings are NaN and the pid undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS_PER_S = 100;

/**
 * The fields of /proc/<pid>/stat from the 3rd (state) on, so that field n (1-based, as proc(5) numbers them) is at
 * index n - 3; null when there is no such process.
 */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count the fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime and stime of a process (all its threads), in seconds; NaN when there is no such process (gone, or no pid). */
export function cpuTimes(pid: number | undefined): { userS: number; systemS: number } {
  const fields = pid === undefined ? null : statFields(pid);
  if (fields === null) return { userS: Number.NaN, systemS: Number.NaN };
  return { userS: Number(fields[11]) / CLOCK_TICKS_PER_S, systemS: Number(fields[12]) / CLOCK_TICKS_PER_S };
}

/**
 * CPU seconds (user + system) of this process's children that have exited and been waited for (cutime + cstime of
 * /proc/self/stat), for a bench that times short-lived children; NaN without /proc.
 */
export function waitedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return fields === null ? Number.NaN : (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_S;
}

/** utime + stime of a process, in seconds (NaN when there is no such process). */
export function cpuSeconds(pid: number | undefined): number {
  const { userS, systemS } = cpuTimes(pid);
  return userS + systemS;
}

/** utime + stime of a process, in µs (NaN when there is no such process). */
export function cpuMicros(pid: number | undefined): number {
  return cpuSeconds(pid) * 1e6;
}

/** This process's own CPU (user + system), in µs. */
export function ownCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The pid of the first process whose command line holds every one of `parts` (e.g. `influxd` and its config dir). */
export function findPid(...parts: readonly string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (parts.every((part) => cmdline.includes(part))) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}
