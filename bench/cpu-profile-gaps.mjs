// What ran in each long loop task: the samples of a --cpu-prof profile of the service that fall inside the spans
// bench/fleet-load.ts wrote with BENCH_LOOP_GAPS_FILE (bench/loop-task-probe.mjs's long tasks, on the profile's
// monotonic clock), summed per function (self) and per function of the service, Express or zod on the stack (inclusive).
// node bench/cpu-profile-gaps.mjs <profile.cpuprofile> <gaps.json> [functions per list, default 10]
import { readFileSync } from 'node:fs';

const [profileFile, gapsFile, topArg] = process.argv.slice(2);
const TOP = Number(topArg ?? 10);
const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
const gaps = JSON.parse(readFileSync(gapsFile, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const label = (node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').slice(-2).join('/')}`;
const ours = (url) => url.includes('/src/') || url.includes('/express/lib/') || url.includes('/zod/');
const times = [];
let at = profile.startTime;
for (const delta of profile.timeDeltas) times.push((at += delta));
const top = (sums) =>
  [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, us]) => `${(us / 1000).toFixed(1).padStart(6)} ms ${name}`)
    .join('\n');
for (const gap of gaps) {
  const [fromUs, toUs] = gap.monotonicUs;
  const self = new Map();
  const inclusive = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    if (times[i] < fromUs || times[i] > toUs) continue;
    const us = (times[i + 1] ?? times[i]) - times[i];
    const name = label(nodes.get(profile.samples[i]));
    self.set(name, (self.get(name) ?? 0) + us);
    const seen = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = parents.get(id)) {
      const node = nodes.get(id);
      const frame = label(node);
      if (!ours(node.callFrame.url) || seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + us);
    }
  }
  process.stdout.write(
    `\n${gap.ms} ms of main-thread CPU in ${gap.wallMs} ms, GC ${gap.gcMs} ms, requests ${JSON.stringify(gap.requests)}\n` +
      `self:\n${top(self)}\nservice, Express and zod frames on the stack:\n${top(inclusive)}\n`,
  );
}
