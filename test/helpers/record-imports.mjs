// `node --import ./test/helpers/record-imports.mjs …`: appends every module URL the process resolves to the file
// named by TMF_RECORD_IMPORTS (one per line), so a test can tell which packages a command loads.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { file: process.env.TMF_RECORD_IMPORTS } });
