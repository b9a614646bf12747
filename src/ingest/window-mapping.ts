/** Pure conversion of a protocol window message (µJ, µW, ms; SPEC.md §4–5) into the stored units (J, W, s). */
import type { EnergyWindow } from '../domain/types.js';
import type { WindowMessage } from '../protocol/messages.js';

const MICRO = 1e-6;

/**
 * What a device measured over a window, in the stored units: the same for a serial `W` line and an MQTT window.
 * Multiplied by 1e-6, not divided by 1e6 (which rounds differently in the last bit): window identity compares energy
 * exactly, so an MQTT window stored by an earlier version must map to the same number when the broker redelivers it.
 */
export function measuredQuantities(
  message: WindowMessage,
): Pick<EnergyWindow, 'durationS' | 'energyJ' | 'sampleCount' | 'minPowerW' | 'maxPowerW' | 'inferenceCount'> {
  return {
    durationS: message.durationMs / 1000,
    energyJ: message.energyUj * MICRO,
    sampleCount: message.samples,
    minPowerW: message.minPowerUw * MICRO,
    maxPowerW: message.maxPowerUw * MICRO,
    inferenceCount: message.inferences,
  };
}

/** An MQTT window message as the stored EnergyWindow: its seq, and its start as the device stamped it or as received. */
export function energyWindowFromMessage(deviceId: string, message: WindowMessage, receivedMs: number, source: string): EnergyWindow {
  return {
    deviceId,
    seq: message.seq,
    // A node without a set clock omits start_ms: the window ended when it arrived (SPEC.md §5).
    startMs: message.startMs ?? receivedMs - message.durationMs,
    ...measuredQuantities(message),
    source,
    startStampedBy: message.startMs === null ? 'receiver' : 'device',
  };
}
