/**
 * `serve`'s config: the core block and the block of every layer in SERVICE_LAYERS, read from flags first, then the
 * environment, then defaults; validated once, before anything starts, with no I/O. `serve --help` and README's
 * configuration table (test/unit/readme-config.test.ts) come from the same blocks.
 */
import { parseArgs } from 'node:util';
import { mergedOptions, type AnyConfigBlock, type ConfigBlock } from '../config/config-block.js';
import { flagColumn, optionValues, parseArgsOptions, usageLines, type OptionTable } from '../config/option-table.js';
import { coreConfigBlock, type CoreConfig } from './core-config.js';
import { layerBlocks, type AnyServiceLayer } from './layer.js';
import { SERVICE_LAYERS } from './layers.js';

/** `{ serial: SerialLayerConfig, mqtt: MqttLayerConfig, … }`: each layer's config under its block's name. */
export type LayerConfigs<Layers extends readonly AnyServiceLayer[]> = {
  readonly [L in Layers[number] as L extends { config: { name: infer Name extends string } } ? Name : never]: L extends { config: ConfigBlock<string, infer C> }
    ? C
    : never;
};

export type ServeConfig = CoreConfig & LayerConfigs<typeof SERVICE_LAYERS>;

/** The core block first (the layers' blocks may depend on its data directory), then each layer's, in registry order. */
export const SERVE_CONFIG_BLOCKS: readonly AnyConfigBlock[] = [coreConfigBlock, ...layerBlocks(SERVICE_LAYERS)];
/** Every flag of `serve` (one block each), plus --help. */
export const SERVE_OPTIONS: OptionTable = mergedOptions(SERVE_CONFIG_BLOCKS);

/** serve's config from already parsed flags (the CLI helper parsed them against SERVE_OPTIONS) and the environment. */
export function serveConfigFrom(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): ServeConfig {
  const core = coreConfigBlock.parse(optionValues(coreConfigBlock.options, flags, env), undefined);
  const layers = Object.fromEntries(
    SERVE_CONFIG_BLOCKS.filter((block) => block !== coreConfigBlock).map((block) => [
      block.name,
      block.parse(optionValues(block.options, flags, env), { dataDir: core.dataDir }),
    ]),
  );
  return { ...core, ...layers } as ServeConfig;
}

/** Options from the command line first, then the environment, then defaults. Unknown flags are an error. */
export function loadServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServeConfig {
  const { values } = parseArgs({ args: [...argv], options: parseArgsOptions(SERVE_OPTIONS), strict: true, allowPositionals: false });
  return serveConfigFrom(values, env);
}

/** The options part of `serve --help`: one section per block. */
export function serveOptionsUsage(): string {
  const column = flagColumn(SERVE_OPTIONS);
  return SERVE_CONFIG_BLOCKS.map((block) => `${block.title}:\n${usageLines(block.options as OptionTable, { column }).join('\n')}`).join('\n\n');
}
