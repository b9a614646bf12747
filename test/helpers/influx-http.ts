/** InfluxQL queries and line-protocol writes over InfluxDB's v1 HTTP API, for tests that check what a database holds. */

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxQueryResponse {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
  error?: string;
}

/** One InfluxQL statement (GET /query for SELECT/SHOW, as Grafana's default; POST otherwise), times in epoch ms. */
export async function influxQuery(url: string, q: string, db?: string): Promise<InfluxQueryResponse> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db !== undefined) params.set('db', db);
  const isRead = /^\s*(SELECT|SHOW)\b/i.test(q);
  const response = isRead
    ? await fetch(`${url}/query?${params.toString()}`)
    : await fetch(`${url}/query`, { method: 'POST', body: params, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const body = (await response.json()) as InfluxQueryResponse;
  if (!response.ok) throw new Error(`influxd answered ${response.status} to ${q}: ${JSON.stringify(body)}`);
  return body;
}

/** Writes line protocol; throws on any answer but 204. */
export async function influxWrite(url: string, db: string, lines: readonly string[], precision: 'ns' | 'ms' = 'ns'): Promise<void> {
  const params = new URLSearchParams({ db, precision });
  const response = await fetch(`${url}/write?${params.toString()}`, { method: 'POST', body: lines.join('\n') });
  if (response.status !== 204) throw new Error(`influxd answered ${response.status} to a write of ${lines.length} lines: ${await response.text()}`);
}
