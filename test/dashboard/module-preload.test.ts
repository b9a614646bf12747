import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The dashboard's files, as served at / (src/dashboard/static-routes.ts). */
const WEB_ROOT = path.resolve('dashboards/web');
const STATIC_IMPORT = /^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

/** Every module `entry` imports statically, directly or not (URL paths from /), without `entry` itself. */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (urlPath: string): void => {
    const source = readFileSync(path.join(WEB_ROOT, urlPath), 'utf8');
    for (const match of source.matchAll(STATIC_IMPORT)) {
      const target = path.posix.resolve(path.posix.dirname(urlPath), match[1]!);
      if (seen.has(target)) continue;
      seen.add(target);
      visit(target);
    }
  };
  visit(entry);
  seen.delete(entry);
  return [...seen].sort();
}

describe('index.html preloads the modules of the first view', () => {
  it('lists every module app.js imports statically (the fleet view), and no other: the browser fetches them at once, not import level after import level', () => {
    const html = readFileSync(path.join(WEB_ROOT, 'index.html'), 'utf8');
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((match) => match[1]!).sort();
    const closure = staticClosure('/js/app.js');
    expect(closure).toContain('/js/fleet/fleet-view.js');
    expect(closure).not.toContain('/js/device/device-view.js'); // loaded when a device is opened
    expect(preloaded).toEqual(closure);
  });
});
