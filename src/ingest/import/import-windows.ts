/**
 * An imported run as windows of a device, exactly once: a window's seq is derived from the run's content (a digest
 * of its windows in the high bits, the window's index in the low 16), so importing the same file again gives the
 * same windows under the same seqs, which the store's identity rule (firmware-protocol/SPEC.md §7.2) takes for a
 * redelivery. Starts are ours, not the instrument's (the files carry at most a session time): `receiver`-stamped,
 * so they take no part in identity, and an import never overlaps a device's live windows. Pure.
 */
import { createHash } from 'node:crypto';
import type { EnergyWindow } from '../../domain/types.js';
import type { ImportedRun } from './import-types.js';

/** Bits of the digest in a seq: 36 + 16 index bits = 52, within Number.MAX_SAFE_INTEGER. */
const DIGEST_BITS = 36;
const INDEX_BITS = 16;

/** The content digest of a run: its format and every window's numbers, in order. */
export function runDigest(run: ImportedRun): number {
  const hash = createHash('sha256');
  hash.update(run.format);
  for (const w of run.windows)
    hash.update(`|${w.offsetMs},${w.durationS},${w.energyJ},${w.sampleCount},${w.minPowerW},${w.maxPowerW},${w.inferenceCount},${w.span}`);
  const digest = hash.digest();
  // The first 36 bits: 4 bytes and a half.
  return digest.readUInt32BE(0) * 2 ** (DIGEST_BITS - 32) + (digest.readUInt8(4) >> (40 - DIGEST_BITS));
}

/**
 * The device's windows of a run. `startMs`: where the run starts on the device's time line (the files' own time
 * when they have one, else the caller's choice, e.g. now).
 */
export function windowsFromRun(run: ImportedRun, deviceId: string, startMs: number): EnergyWindow[] {
  const base = runDigest(run) * 2 ** INDEX_BITS;
  return run.windows.map((w, index) => ({
    deviceId,
    seq: base + index,
    startMs: Math.round(startMs + w.offsetMs),
    durationS: w.durationS,
    energyJ: w.energyJ,
    sampleCount: w.sampleCount,
    minPowerW: w.minPowerW,
    maxPowerW: w.maxPowerW,
    inferenceCount: w.inferenceCount,
    source: `import:${run.format}`,
    startStampedBy: 'receiver',
    ...(run.instrument === undefined ? {} : { instrument: run.instrument }),
    ...(w.span === 'inferences' ? { span: 'inferences' as const } : {}),
  }));
}
