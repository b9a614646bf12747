import { ValidationError } from '../domain/errors.js';

/** A ValidationError is the user's to fix: print it with its details and exit 2. Anything else is rethrown. */
export function reportUsageError(error: unknown): number {
  if (!(error instanceof ValidationError)) throw error;
  process.stderr.write(`error: ${error.message}${error.details.length > 0 ? `\n  ${error.details.join('\n  ')}` : ''}\n`);
  return 2;
}
