/**
 * A strict reader of the Prometheus text exposition format 0.0.4: every sample belongs to a family with # HELP and
 * # TYPE, names and label names are valid, values are numbers, no series twice. Throws on anything else.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([^=\s]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const SUFFIXES = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] } as const;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (match === null) throw new Error(`bad labels in: ${line}`);
    const [, name, raw] = match;
    if (!LABEL_NAME.test(name!)) throw new Error(`bad label name ${name} in: ${line}`);
    if (name! in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name!] = raw!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`).
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
}

function familyOf(sampleName: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const exact = families.get(sampleName);
  if (exact !== undefined) return exact;
  for (const [name, family] of families) {
    const suffixes = family.type === 'histogram' || family.type === 'summary' ? SUFFIXES[family.type] : [];
    if (suffixes.some((suffix) => suffix !== '' && sampleName === `${name}${suffix}`)) return family;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const series = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('# HELP ')) {
      const [, name, help = ''] = /^# HELP (\S+) ?(.*)$/.exec(line) ?? [];
      if (name === undefined || !NAME.test(name)) throw new Error(`bad HELP: ${line}`);
      if (families.has(name)) throw new Error(`family ${name} declared twice`);
      families.set(name, { name, help, type: 'untyped', samples: [] });
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      const family = name === undefined ? undefined : families.get(name);
      if (family === undefined) throw new Error(`TYPE without HELP: ${line}`);
      family.type = type as MetricFamily['type'];
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = match;
    const family = familyOf(name!, families);
    if (family === undefined) throw new Error(`sample of no declared family: ${line}`);
    const labels = labelText === undefined ? {} : parseLabels(labelText, line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`series twice: ${line}`);
    series.add(key);
    family.samples.push({ name: name!, labels, value: parseValue(valueText!, line) });
  }
  return families;
}

/** The value of one series (the sample whose labels include these), or undefined. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values())
    for (const sample of family.samples)
      if (sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) return sample.value;
  return undefined;
}
