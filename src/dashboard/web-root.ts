import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory levels searched upwards from this file for dashboards/web (src/dashboard → 2, dist/src/dashboard → 3). */
const MAX_LEVELS_UP = 4;

/** The dashboard's static files: dashboards/web in the package root, from the sources (tsx) or from dist/. */
export function findWebRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS_UP; level += 1) {
    const candidate = path.join(dir, 'dashboards', 'web');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('dashboards/web/index.html not found above the service sources');
}

/** uPlot's dist directory inside node_modules (served at /vendor/uplot/: no CDN). */
export function findUplotDist(): string {
  return path.dirname(createRequire(import.meta.url).resolve('uplot'));
}
