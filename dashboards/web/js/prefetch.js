/**
 * A classic script, run by index.html before the modules load: it asks for the fleet view's first page and the
 * catalogue at once, so their answers are on their way while the browser fetches the modules (the service answers
 * the page after its fleet index is current: under a busy ingest that wait then overlaps the scripts' instead of
 * following it). api.js's getJson takes each answer once (takePrefetched); a view that asks for something else
 * fetches as usual. The page's URL is built as fleet-view.js's currentQuery builds it (test/dashboard/fleet-first-page.int.test.ts
 * checks that none is left unused).
 */
(function prefetchFleet() {
  /** Rows per page: fleet-view.js PAGE_ROWS. */
  const PAGE_ROWS = 100;
  /** @type {Record<string, Promise<Response>>} */
  const prefetched = {};
  /** @type {any} */ (window).__prefetch = prefetched;
  const hash = location.hash.replace(/^#/, '') || '/fleet';
  const [path = '/fleet', query = ''] = hash.split('?', 2);
  if (path !== '/fleet' && path !== '/') return;
  const params = new URLSearchParams(query);
  const search = new URLSearchParams();
  search.set('sort', params.get('sort') ?? 'id');
  search.set('dir', params.get('dir') === 'desc' ? 'desc' : 'asc');
  const text = (params.get('q') ?? '').trim();
  if (text !== '') search.set('q', text);
  const status = params.get('status') ?? 'all';
  if (status !== 'all') search.set('status', status);
  const fleet = params.get('fleet');
  if (fleet) search.set('fleet', fleet);
  for (const url of [`/api/fleet?${search}&offset=0&limit=${PAGE_ROWS}`, '/api/catalogue']) {
    const response = fetch(url, { headers: { accept: 'application/json' } });
    response.catch(() => undefined); // a failure is seen (and shown) by the view that takes it
    prefetched[url] = response;
  }
})();
