import type { EnergyWindow } from '../../src/domain/types.js';

/**
 * One window as a line of the `energy_window` measurement, field by field as docs/influxdb-schema.md states it
 * (precision ns): for tests that fill a database without the service.
 */
export function windowLine(w: EnergyWindow, seqUse: number): string {
  const escapeTag = (value: string) => value.replace(/[,= \\]/g, '\\$&');
  const escapeString = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  const startMs = Math.floor(w.startMs);
  const fields: string[] = [
    `energy_j=${w.energyJ}`,
    `duration_s=${w.durationS}`,
    `start_ms=${startMs}i`,
    `end_ms=${Math.ceil(w.startMs + w.durationS * 1000)}i`,
    `seq=${w.seq}i`,
    `seq_use=${seqUse}i`,
    `samples=${w.sampleCount}i`,
    `inferences=${w.inferenceCount}i`,
    ...(w.minPowerW === null ? [] : [`min_power_w=${w.minPowerW}`]),
    ...(w.maxPowerW === null ? [] : [`max_power_w=${w.maxPowerW}`]),
    `energy_sq_j2=${w.energyJ * w.energyJ}`,
    `energy_duration_js=${w.energyJ * w.durationS}`,
    `duration_sq_s2=${w.durationS * w.durationS}`,
    `inference_span=${w.span === 'inferences' ? 1 : 0}i`,
    ...(w.instrument === undefined ? [] : [`instrument=${escapeString(w.instrument)}`]),
    `instrumented_s=${w.instrument === undefined ? 0 : w.durationS}`,
    `source=${escapeString(w.source)}`,
  ];
  const timeNs = BigInt(startMs) * 1_000_000n + BigInt(w.seq % 1_000_000);
  return `energy_window,device=${escapeTag(w.deviceId)},stamp=${w.startStampedBy ?? 'receiver'} ${fields.join(',')} ${timeNs}`;
}
