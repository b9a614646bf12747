import type { EnergyWindow } from '../domain/types.js';

/** Events pushed to live consumers (the dashboard's server-sent events). Nothing here is durable. */
export type LiveEvent =
  | { type: 'windows'; deviceId: string; inserted: number; last: EnergyWindow }
  | { type: 'device'; deviceId: string }
  | { type: 'power'; deviceId: string; tMs: number; powerW: number };

export type LiveListener = (event: LiveEvent) => void;

/** In-process fan-out. Listeners must be cheap; a throwing listener is isolated and counted. */
export class LiveBus {
  private readonly listeners = new Set<LiveListener>();
  private listenerErrorCount = 0;

  publish(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listenerErrorCount += 1;
      }
    }
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  get listenerErrors(): number {
    return this.listenerErrorCount;
  }
}
