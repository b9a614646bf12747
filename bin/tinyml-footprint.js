#!/usr/bin/env node
// Starts the CLI from the built JavaScript in dist/ (`npm run build`; `npm ci` builds it through `prepare`) when it
// is there and no file under src/ or data/ is newer than it; otherwise from the TypeScript sources through tsx, so
// an edit needs no rebuild during development (slower start: tsx compiles on every run).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT_MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SOURCE_DIRS = [path.join(ROOT, 'src'), path.join(ROOT, 'data')];

/** Newest modification time (ms) of the files below `dir` (a few ms for the ~200 files). */
function newestMtimeMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function isBuildFresh() {
  let builtMs;
  try {
    builtMs = statSync(BUILT_MAIN).mtimeMs;
  } catch {
    return false; // no dist/
  }
  return SOURCE_DIRS.every((dir) => newestMtimeMs(dir) <= builtMs);
}

if (isBuildFresh()) {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
