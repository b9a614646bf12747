/** Pure conversion of a protocol window message (µJ, µW, ms) into the stored EnergyWindow (J, W, s). */
import type { EnergyWindow } from '../../domain/types.js';
import type { WindowMessage } from '../../protocol/messages.js';

const MICRO = 1e-6;

export function energyWindowFromMessage(deviceId: string, message: WindowMessage, receivedMs: number, source: string): EnergyWindow {
  return {
    deviceId,
    seq: message.seq,
    // A node without a set clock omits start_ms: the window ended when it arrived (SPEC.md §5).
    startMs: message.startMs ?? receivedMs - message.durationMs,
    durationS: message.durationMs / 1000,
    energyJ: message.energyUj * MICRO,
    sampleCount: message.samples,
    minPowerW: message.minPowerUw * MICRO,
    maxPowerW: message.maxPowerUw * MICRO,
    inferenceCount: message.inferences,
    source,
    startStampedBy: message.startMs === null ? 'receiver' : 'device',
  };
}
