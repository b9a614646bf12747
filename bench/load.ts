/** What every HTTP bench reads from an autocannon run, and the GET load they share. */
import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export function loadResult(result: autocannon.Result): LoadResult {
  return {
    requestsPerS: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** GET `pathFor()` (a new path per request) at `connections` keep-alive connections for `durationS` seconds. */
export async function loadGet(url: string, pathFor: () => string, connections: number, durationS: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathFor() }) }],
  });
  return loadResult(result);
}
