#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so a fresh clone needs no build step.
// `npm run build` also emits dist/ for deployments that prefer plain JavaScript (node dist/src/cli/main.js).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
