import type { CounterFamily } from './counters.js';

/** Per-source status, as shown by GET /api/health. */
export interface SourceStatus {
  /** Unique name, e.g. `serial:/dev/ttyACM0`, `mqtt:mqtt://localhost:1883`, `http`. */
  name: string;
  kind: 'serial' | 'mqtt' | 'http' | 'broker' | 'store' | 'log';
  /** e.g. `connected`, `connecting`, `disconnected`, `listening`, `stopped`. */
  state: string;
  /** The source's counters (lines, messages, windows, duplicates, reconnects, dropped…), by their declared names. */
  counters: Record<string, number>;
  /** Rejected inputs by reason (reasons of the source's family only). */
  rejected: Record<string, number>;
  lastError: string | null;
  details?: Record<string, unknown>;
}

/** A registered source: the counter family it declared, and its status now (counters under the family's names). */
export interface HealthSource {
  readonly family: CounterFamily;
  status(): SourceStatus;
}

/** A source's status with the declarations of its counters (what a /metrics exporter reads). */
export interface SourceReading {
  family: CounterFamily;
  status: SourceStatus;
}

/** The sources of the running service; /api/health shows their statuses in registration order. */
export class HealthRegistry {
  private readonly sources = new Map<string, HealthSource>();

  register(name: string, source: HealthSource): () => void {
    this.sources.set(name, source);
    return () => {
      this.sources.delete(name);
    };
  }

  snapshot(): SourceStatus[] {
    return [...this.sources.values()].map((source) => source.status());
  }

  readings(): SourceReading[] {
    return [...this.sources.values()].map((source) => ({ family: source.family, status: source.status() }));
  }
}
