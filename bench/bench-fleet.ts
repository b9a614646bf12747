import type { EnergyWindow } from '../src/domain/types.js';

/**
 * Window `seq` of bench device `bench-<deviceIndex>` in the benches' fleet (bench/http.ts, bench/fleet-load.ts):
 * 10 s windows from `t0Ms`, power 1 mW + 0.5 mW per index mod 100 (so a sort by power has 100 distinct values),
 * min half and max three times the average, 5 inferences.
 */
export function benchFleetWindow(deviceIndex: number, seq: number, t0Ms: number): EnergyWindow {
  const powerW = 0.001 + (deviceIndex % 100) * 0.0005;
  return {
    deviceId: `bench-${deviceIndex}`,
    seq,
    startMs: t0Ms + seq * 10_000,
    durationS: 10,
    energyJ: powerW * 10,
    sampleCount: 1000,
    minPowerW: powerW / 2,
    maxPowerW: powerW * 3,
    inferenceCount: 5,
    source: 'bench',
  };
}
