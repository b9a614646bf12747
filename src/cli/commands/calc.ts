import { parseArgs } from 'node:util';
import { resolveGrid, DEFAULT_GRID } from '../../catalogue/grid.js';
import { buildCatalogue } from '../../catalogue/load-catalogue.js';
import { ValidationError } from '../../domain/errors.js';
import type { BatteryInput, Scenario, SystemChoice } from '../../domain/types.js';
import { computeFootprint, type PowerInput } from '../../model/footprint.js';
import { parseBlockOverrides, SEED_DEFAULT_SPEC } from '../../service/spec.js';
import type { CliCommand } from '../command.js';
import { reportUsageError } from '../usage-error.js';
import { formatFootprint } from '../format-footprint.js';
import { integerOption, numberOption, powerOption } from '../options.js';

const USAGE = `tinyml-footprint calc [options]

  --system <id>            kws-best | kws-typical | ad-typical | ic-typical | ic-worst (default kws-typical)
  --blocks <list>          block overrides: processing:1,casing=0.5 (level after ':', kg CO2e after '=')
  --scenario <s>           min | typical | max quantities (default: the system's)
  --power <p>              average power with its unit: 27mW, 800uW, 0.5W (W, mW, uW/µW, nW, kW; case-sensitive;
                           a bare number is refused) (default: the seed's 1 mW assumption)
  --region, --grid <id>    epa | epa-egrid2021 | FRA | USA | WORLD | em:FR | custom:<kg/kWh> (default epa)
  --years <n>              lifetime in years (default 3)
  --training <id>          densenet | mobilenetv1 | none | dodge:<run> | custom:<kg> (default densenet)
  --training-devices <n>   devices sharing the training run (default 1)
  --charger-efficiency <x> 0 < x ≤ 1 (default 1)
  --battery-wh <n>         battery capacity in Wh (default: from the power-supply level)
  --cycle-life <n>         battery cycle life in full cycles (default 500, assumed)
  --calendar-life <years>  battery calendar life: a pack is replaced at this age however few cycles it ran
                           (default 5, assumed after Battery University BU-808)
  --self-discharge <x>     battery self-discharge, fraction of the stored energy per month, recharged from the
                           grid (default 0.02, assumed after Battery University BU-802b; 0 = the seed's method)
  --json                   print the full result as JSON`;

/** The options the user gave, without the absent ones (the model's inputs are exact optional properties). */
function definedFields(fields: Partial<Record<keyof BatteryInput, number | undefined>>): BatteryInput {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as BatteryInput;
}

export const calcCommand: CliCommand = {
  summary: 'the plug-and-play calculator: lifetime footprint of a TinyML system',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        system: { type: 'string' },
        blocks: { type: 'string' },
        scenario: { type: 'string' },
        power: { type: 'string' },
        region: { type: 'string' },
        grid: { type: 'string' },
        years: { type: 'string' },
        training: { type: 'string' },
        'training-devices': { type: 'string' },
        'charger-efficiency': { type: 'string' },
        'battery-wh': { type: 'string' },
        'cycle-life': { type: 'string' },
        'calendar-life': { type: 'string' },
        'self-discharge': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    try {
      if (values.scenario !== undefined && !['min', 'typical', 'max'].includes(values.scenario)) {
        throw new ValidationError(`--scenario must be min, typical or max, got "${values.scenario}"`);
      }
      const scenario = values.scenario as Scenario | undefined;
      const system: SystemChoice = values.blocks !== undefined || scenario !== undefined
        ? parseBlockOverrides(values.blocks ?? '', values.system ?? SEED_DEFAULT_SPEC.system as string, scenario)
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
      process.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatFootprint(result)}\n`);
      return 0;
    } catch (error) {
      return reportUsageError(error);
    }
  },
};
