/**
 * The lines the log's destination dropped are visible: a pino logger counts them (shared with its children), the
 * `log` source shows the count in /api/health, and /metrics exposes it as tinyml_log_lines_dropped_total.
 */
import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { metricName } from '../../src/obs/counters.js';
import type { SourceStatus } from '../../src/obs/health-registry.js';
import { LOG_FAMILY, LogHealth } from '../../src/obs/log-stats.js';
import { silentLogger, type Logger } from '../../src/obs/logger.js';
import { MIN_WRITE_BYTES, pinoLogger } from '../../src/obs/pino-logger.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { request, startTestService } from '../helpers/service.js';

/** Two batches: the first goes to a write, the second waits for it; lines logged in the same turn past it are dropped. */
const BOUND_BYTES = 2 * MIN_WRITE_BYTES;
const LINES = 1_000;

describe('the log as a source', () => {
  it('counts the lines logged past the bound within a turn, for a logger and its children alike', () => {
    // Left open: the logger's writes and its periodic flush go on using it after the test (a closed fd's number could
    // be reused by another file of the worker).
    const log = pinoLogger({ level: 'info', destination: openSync('/dev/null', 'w'), maxBufferedBytes: BOUND_BYTES });
    const http = log.child({ component: 'http' });
    // One event-loop turn: no write completes, so at most BOUND_BYTES of lines are held and the rest dropped.
    for (let n = 0; n < LINES; n += 1) http.info('request', { n, url: '/api/devices/dev-0001/footprint' });
    const dropped = log.linesDropped?.() ?? 0;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(LINES);
    expect(http.linesDropped?.()).toBe(dropped);
    expect(new LogHealth(log).status()).toMatchObject({ name: 'log', kind: 'log', counters: { linesDropped: dropped } });
  });

  it('shows the lines its destination dropped in /api/health and /metrics', async () => {
    const log: Logger = { ...silentLogger, linesDropped: () => 3 };
    const service = await startTestService({ log });
    try {
      const health = await request<{ sources: SourceStatus[] }>(`${service.url}/api/health`);
      expect(health.body.sources.find((source) => source.name === 'log')).toMatchObject({ kind: 'log', counters: { linesDropped: 3 } });
      const families = parsePrometheusText(await (await fetch(`${service.url}/metrics`)).text());
      expect(metricName(LOG_FAMILY, 'linesDropped')).toBe('tinyml_log_lines_dropped_total');
      expect(sampleValue(families, 'tinyml_log_lines_dropped_total', { source: 'log' })).toBe(3);
    } finally {
      await service.close();
    }
  });
});
