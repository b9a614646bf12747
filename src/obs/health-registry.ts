/** Per-source status, as shown by GET /api/health. */
export interface SourceStatus {
  /** Unique name, e.g. `serial:/dev/ttyACM0`, `mqtt:mqtt://localhost:1883`, `http`. */
  name: string;
  kind: 'serial' | 'mqtt' | 'http' | 'broker' | 'store';
  /** e.g. `connected`, `connecting`, `disconnected`, `listening`, `stopped`. */
  state: string;
  /** Monotonic counters: lines, messages, windows, duplicates, reconnects, dropped… */
  counters: Record<string, number>;
  /** Rejected inputs by reason. */
  rejected: Record<string, number>;
  lastError: string | null;
  details?: Record<string, unknown>;
}

export type StatusProvider = () => SourceStatus;

export class HealthRegistry {
  private readonly providers = new Map<string, StatusProvider>();

  register(name: string, provider: StatusProvider): () => void {
    this.providers.set(name, provider);
    return () => {
      this.providers.delete(name);
    };
  }

  snapshot(): SourceStatus[] {
    return [...this.providers.values()].map((provider) => provider());
  }
}
