import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** docs/screenshots in the repository: the README shows these files. Written only when asked (`npm run screenshots`). */
export const DOCS_SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
/** Where every other test run writes them (git-ignored), so running the tests leaves the tree clean. */
export const TEST_OUTPUT_SCREENSHOT_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

/** UPDATE_SCREENSHOTS=1 sends the browser tests' screenshots to docs/screenshots. */
export function screenshotDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UPDATE_SCREENSHOTS === '1' ? DOCS_SCREENSHOT_DIR : TEST_OUTPUT_SCREENSHOT_DIR;
}

export function screenshotPath(name: string): string {
  const dir = screenshotDir();
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
