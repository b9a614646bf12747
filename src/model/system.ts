import { ValidationError } from '../domain/errors.js';
import type { Scenario, SystemChoice } from '../domain/types.js';
import type { Block, BlockLevel, Catalogue, Provenance, Range, SystemPreset } from './catalogue-types.js';
import { provenanceAt } from './provenance.js';
import { pointRange } from './range.js';

/** The preset a custom system starts from when it names none: the seed's typical keyword-spotting system. */
export const DEFAULT_BASE_SYSTEM = 'kws-typical';

export interface ResolvedBlock {
  block: Block;
  /** null when the user gave an explicit value instead of a level. */
  level: BlockLevel | null;
  levelNumber: number | null;
  range: Range;
  provenance: Provenance;
}

export interface ResolvedSystem {
  id: string;
  label: string;
  isCustom: boolean;
  scenario: Scenario;
  defaultTraining: string;
  blocks: ResolvedBlock[];
}

export function findSystem(catalogue: Catalogue, id: string): SystemPreset {
  const preset = catalogue.systems.find((system) => system.id === id);
  if (preset === undefined) {
    throw new ValidationError(`unknown system "${id}"`, [`known systems: ${catalogue.systems.map((s) => s.id).join(', ')}`]);
  }
  return preset;
}

function resolveLevel(block: Block, levelNumber: number): BlockLevel {
  const level = block.levels.find((candidate) => candidate.level === levelNumber);
  if (level === undefined) {
    throw new ValidationError(`block "${block.id}" has no level ${levelNumber}`, [`levels of ${block.id}: ${block.levels.map((l) => l.level).join(', ')}`]);
  }
  return level;
}

function blockFromLevel(block: Block, levelNumber: number, scenario: Scenario): ResolvedBlock {
  const level = resolveLevel(block, levelNumber);
  if (level.kgCO2e === null) {
    throw new ValidationError(`block "${block.id}" level ${levelNumber} is not quantified by the dataset: give a kgCO2e value`);
  }
  return { block, level, levelNumber, range: level.kgCO2e, provenance: provenanceAt(level.provenance, scenario) };
}

/** Turn a preset id or a custom bill of materials into one kg CO2e range per block. */
export function resolveSystem(catalogue: Catalogue, choice: SystemChoice): ResolvedSystem {
  const custom = typeof choice === 'string' ? undefined : choice;
  const base = findSystem(catalogue, typeof choice === 'string' ? choice : (choice.base ?? DEFAULT_BASE_SYSTEM));
  const overrides = custom?.blocks ?? {};
  const scenario = custom?.scenario ?? base.scenario;
  for (const id of Object.keys(overrides)) {
    if (!catalogue.blocks.some((block) => block.id === id)) {
      throw new ValidationError(`unknown block "${id}"`, [`known blocks: ${catalogue.blocks.map((b) => b.id).join(', ')}`]);
    }
  }
  const blocks = catalogue.blocks.map((block): ResolvedBlock => {
    const override = overrides[block.id];
    if (override?.kgCO2e !== undefined) {
      return {
        block,
        level: null,
        levelNumber: override.level ?? null,
        range: pointRange(override.kgCO2e),
        provenance: { dataset: 'user', kind: 'user', citation: `custom value for ${block.label}` },
      };
    }
    const levelNumber = override?.level ?? base.blocks[block.id];
    if (levelNumber === undefined) {
      throw new ValidationError(`system "${base.id}" has no level for block "${block.id}"`);
    }
    return blockFromLevel(block, levelNumber, scenario);
  });
  const isCustom = custom !== undefined && (Object.keys(overrides).length > 0 || scenario !== base.scenario);
  return {
    id: isCustom ? 'custom' : base.id,
    label: isCustom ? `Custom (from ${base.label})` : base.label,
    isCustom,
    scenario,
    defaultTraining: base.training,
    blocks,
  };
}
