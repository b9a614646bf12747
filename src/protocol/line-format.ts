/** Encode v1 messages as wire lines (no terminator). Used by the simulator and the tests; mirrors firmware-protocol/c. */
import { frameLine } from './checksum.js';

export interface HelloFields {
  deviceId: string;
  board: string;
  firmware: string;
  supplyMv: number;
  samplePeriodUs: number;
}

export function formatHello(hello: HelloFields): string {
  return frameLine(`TMF1,H,${hello.deviceId},${hello.board},${hello.firmware},1,${hello.supplyMv},${hello.samplePeriodUs}`);
}

export function formatSample(tUs: number, mv: number, ua: number): string {
  return frameLine(`TMF1,S,${tUs},${mv},${ua}`);
}

export function formatPowerSample(tUs: number, uw: number): string {
  return frameLine(`TMF1,P,${tUs},${uw}`);
}

export interface WindowFields {
  seq: number;
  durationMs: number;
  energyUj: number;
  samples: number;
  minPowerUw: number;
  maxPowerUw: number;
  inferences: number;
}

export function formatWindow(w: WindowFields): string {
  return frameLine(`TMF1,W,${w.seq},${w.durationMs},${w.energyUj},${w.samples},${w.minPowerUw},${w.maxPowerUw},${w.inferences}`);
}

export function formatEvent(tUs: number, kind: 'begin' | 'end', inference: number): string {
  return frameLine(`TMF1,E,${tUs},${kind === 'begin' ? 'B' : 'E'},${inference}`);
}
