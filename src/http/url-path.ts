/** The path of a request URL as Node gives it (`/a/b?x=1` → `/a/b`): no query, not decoded. */
export function pathOf(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}
