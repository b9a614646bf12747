import os from 'node:os';
import path from 'node:path';

/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = 'tinyml-footprint.sqlite';

/** Where runtime files (the SQLite database) live: outside the repository, in the user's home by default. */
export function defaultDataDir(): string {
  return process.env.TINYML_DATA_DIR ?? path.join(os.homedir(), '.tinyml-footprint');
}
