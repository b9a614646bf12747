import type { SourceStatus } from '../obs/health-registry.js';

/** Counters of the HTTP source: requests answered and rejected by reason, shown in /api/health. */
export class HttpStats {
  private requests = 0;
  private windowsInserted = 0;
  private windowsDuplicate = 0;
  /** Connections closed on arrival because the server held its maximum (server.maxConnections). */
  private connectionsDropped = 0;
  private readonly rejected: Record<string, number> = {};
  private lastError: string | null = null;

  countRequest(): void {
    this.requests += 1;
  }

  countWindows(inserted: number, duplicates: number): void {
    this.windowsInserted += inserted;
    this.windowsDuplicate += duplicates;
  }

  countDroppedConnection(): void {
    this.connectionsDropped += 1;
  }

  reject(reason: string, message: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.lastError = message;
  }

  status(): SourceStatus {
    return {
      name: 'http',
      kind: 'http',
      state: 'listening',
      counters: { requests: this.requests, windowsInserted: this.windowsInserted, windowsDuplicate: this.windowsDuplicate, connectionsDropped: this.connectionsDropped },
      rejected: { ...this.rejected },
      lastError: this.lastError,
    };
  }
}
