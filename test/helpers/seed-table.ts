import seedJson from '../../data/seed-table.json' with { type: 'json' };

export interface SeedColumn {
  system: string;
  rows: Record<string, number>;
  total: number;
}

/** The published table (data/seed-table.json), one entry per system column. */
export function seedColumns(): SeedColumn[] {
  return seedJson.columns.map((system, index) => ({
    system,
    rows: Object.fromEntries(Object.entries(seedJson.rows).map(([row, values]) => [row, values[index]!])),
    total: seedJson.totals[index]!,
  }));
}

export function round2(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}
