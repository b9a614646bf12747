import type { SourceStatus } from '../obs/health-registry.js';

/** Counters of the HTTP source: requests answered and rejected by reason, shown in /api/health. */
export class HttpStats {
  private requests = 0;
  private windowsInserted = 0;
  private windowsDuplicate = 0;
  private readonly rejected: Record<string, number> = {};
  private lastError: string | null = null;

  countRequest(): void {
    this.requests += 1;
  }

  countWindows(inserted: number, duplicates: number): void {
    this.windowsInserted += inserted;
    this.windowsDuplicate += duplicates;
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
      counters: { requests: this.requests, windowsInserted: this.windowsInserted, windowsDuplicate: this.windowsDuplicate },
      rejected: { ...this.rejected },
      lastError: this.lastError,
    };
  }
}
