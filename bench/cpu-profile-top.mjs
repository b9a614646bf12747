// Where a --cpu-prof profile's time went, over the whole profile: the functions with the most self time, and the
// functions with the most inclusive time (each counted once per sample however deep it recurs), as a share of the
// samples that ran JavaScript or native code (idle excluded). For a service profiled under one load
// (bench/footprint.ts BENCH_PROFILE_DIR=… BENCH_ONLY=livez), it says what a request pays.
// node bench/cpu-profile-top.mjs <profile.cpuprofile> [functions per list, default 25] [substring a frame must contain for the inclusive list]
import { readFileSync } from 'node:fs';

const [profileFile, topArg, filter] = process.argv.slice(2);
const TOP = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
};
const IDLE = new Set(['(idle)', '(program)']);
const self = new Map();
const inclusive = new Map();
let busyUs = 0;
let idleUs = 0;
for (let i = 0; i < profile.samples.length; i += 1) {
  const us = profile.timeDeltas[i + 1] ?? 0;
  const node = nodes.get(profile.samples[i]);
  if (IDLE.has(node.callFrame.functionName)) {
    idleUs += us;
    continue;
  }
  busyUs += us;
  const name = label(node);
  self.set(name, (self.get(name) ?? 0) + us);
  const seen = new Set();
  for (let id = profile.samples[i]; id !== undefined; id = parents.get(id)) {
    const frame = label(nodes.get(id));
    if (seen.has(frame)) continue;
    seen.add(frame);
    if (filter === undefined || frame.includes(filter)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + us);
  }
}
const top = (sums) =>
  [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, us]) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`)
    .join('\n');
console.log(`busy ${(busyUs / 1000).toFixed(0)} ms, idle/program ${(idleUs / 1000).toFixed(0)} ms`);
console.log(`\nself:\n${top(self)}`);
console.log(`\ninclusive${filter === undefined ? '' : ` (frames containing ${filter})`}:\n${top(inclusive)}`);
