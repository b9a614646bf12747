import { resolveGrid, DEFAULT_GRID } from '../../catalogue/grid.js';
import { buildCatalogue } from '../../catalogue/load-catalogue.js';
import { ValidationError } from '../../domain/errors.js';
import type { BatteryInput, Scenario, SystemChoice } from '../../domain/types.js';
import { computeFootprint, type PowerInput } from '../../model/footprint.js';
import { parseBlockOverrides, SEED_DEFAULT_SPEC } from '../../service/spec.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { formatFootprint } from '../format-footprint.js';
import { formatPerInference } from '../format-per-inference.js';
import { MAX_INFERENCES_PER_S } from '../../model/limits.js';
import { perInferenceAtGivenRate } from '../../model/per-inference.js';
import { integerOption, numberOption, powerOption } from '../options.js';

/** The options the user gave, without the absent ones (the model's inputs are exact optional properties). */
function definedFields(fields: Partial<Record<keyof BatteryInput, number | undefined>>): BatteryInput {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as BatteryInput;
}

export const calcCommand: CliCommand = defineCommand({
  name: 'calc',
  options: {
    system: { type: 'string', value: '<id>', default: String(SEED_DEFAULT_SPEC.system), help: 'kws-best | kws-typical | ad-typical | ic-typical | ic-worst' },
    blocks: { type: 'string', value: '<list>', help: "block overrides: processing:1,casing=0.5 (level after ':', kg CO2e after '=')" },
    scenario: { type: 'string', value: '<s>', default: "the system's", help: 'min | typical | max quantities' },
    power: {
      type: 'string',
      value: '<p>',
      default: "the seed's 1 mW assumption",
      help: 'average power with its unit: 27mW, 800uW, 0.5W (W, mW, uW/µW, nW, kW; case-sensitive; a bare number is refused)',
    },
    region: { type: 'string', value: '<id>', default: DEFAULT_GRID, help: 'epa | epa-egrid2021 | FRA | USA | WORLD | em:FR | custom:<kg/kWh>' },
    grid: { type: 'string', value: '<id>', help: 'the same as --region' },
    years: { type: 'string', value: '<n>', default: String(SEED_DEFAULT_SPEC.lifetimeYears), help: 'lifetime in years' },
    training: { type: 'string', value: '<id>', default: SEED_DEFAULT_SPEC.training, help: 'densenet | mobilenetv1 | none | dodge:<run> | custom:<kg>' },
    'training-devices': { type: 'string', value: '<n>', default: String(SEED_DEFAULT_SPEC.trainingDevices), help: 'devices sharing the training run' },
    'charger-efficiency': { type: 'string', value: '<x>', default: String(SEED_DEFAULT_SPEC.chargerEfficiency), help: '0 < x ≤ 1' },
    'battery-wh': { type: 'string', value: '<n>', default: 'from the power-supply level', help: 'battery capacity in Wh' },
    'cycle-life': { type: 'string', value: '<n>', default: '500, assumed', help: 'battery cycle life in full cycles' },
    'calendar-life': {
      type: 'string',
      value: '<years>',
      default: '5, assumed after Battery University BU-808',
      help: 'battery calendar life: a pack is replaced at this age however few cycles it ran',
    },
    'self-discharge': {
      type: 'string',
      value: '<x>',
      default: "0.02, assumed after Battery University BU-802b; 0 = the seed's method",
      help: 'battery self-discharge, fraction of the stored energy per month, recharged from the grid',
    },
    'inferences-per-s': {
      type: 'string',
      value: '<n>',
      help: 'inferences per second: adds energy and SCI per inference (E, I, M, R named)',
    },
    json: { type: 'boolean', help: 'print the full result as JSON' },
  },
  async run({ values }) {
    if (values.scenario !== undefined && !['min', 'typical', 'max'].includes(values.scenario)) {
      throw new ValidationError(`--scenario must be min, typical or max, got "${values.scenario}"`);
    }
    const scenario = values.scenario as Scenario | undefined;
    const system: SystemChoice =
      values.blocks !== undefined || scenario !== undefined
        ? parseBlockOverrides(values.blocks ?? '', values.system ?? (SEED_DEFAULT_SPEC.system as string), scenario)
        : (values.system ?? SEED_DEFAULT_SPEC.system);
    const catalogue = buildCatalogue();
    const givenW = powerOption(values.power);
    const power: PowerInput = givenW === undefined ? { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW } : { kind: 'given', powerW: givenW };
    const battery = definedFields({
      capacityWh: numberOption('battery-wh', values['battery-wh']),
      cycleLife: numberOption('cycle-life', values['cycle-life']),
      calendarLifeYears: numberOption('calendar-life', values['calendar-life']),
      selfDischargePerMonth: numberOption('self-discharge', values['self-discharge']),
    });
    const result = computeFootprint(catalogue, {
      system,
      ...(values.training === undefined ? {} : { training: values.training }),
      trainingDevices: integerOption('training-devices', values['training-devices'], 1) ?? SEED_DEFAULT_SPEC.trainingDevices,
      lifetimeYears: numberOption('years', values.years) ?? SEED_DEFAULT_SPEC.lifetimeYears,
      grid: resolveGrid(values.region ?? values.grid ?? DEFAULT_GRID),
      chargerEfficiency: numberOption('charger-efficiency', values['charger-efficiency']) ?? SEED_DEFAULT_SPEC.chargerEfficiency,
      ...(Object.keys(battery).length === 0 ? {} : { battery }),
      power,
    });
    const inferencesPerS = numberOption('inferences-per-s', values['inferences-per-s']);
    if (inferencesPerS !== undefined && !(inferencesPerS > 0 && inferencesPerS <= MAX_INFERENCES_PER_S)) {
      throw new ValidationError(`--inferences-per-s must be positive and at most ${MAX_INFERENCES_PER_S}, got "${values['inferences-per-s']}"`);
    }
    const perInference = inferencesPerS === undefined ? null : perInferenceAtGivenRate(result, inferencesPerS);
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(perInference === null ? result : { ...result, perInference }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${formatFootprint(result)}\n${perInference === null ? '' : `${formatPerInference(perInference).join('\n')}\n`}`);
    return 0;
  },
});
