/**
 * `clearpeg simulate`: the economics and stress simulator (docs/economics.md). Runs a preset
 * (or a scenario file) on the shipped DTB3 history, prints the simulated income statement,
 * equity, coverage, breaches and the preset's headline figures beside the published ones, and,
 * with Monte Carlo paths, their spreads. `--json` prints the whole result, `--csv` every day,
 * `--svg FILE` writes the chart. `clearpeg-demo` starts from the running issuer's latest
 * attestation, verified first as `clearpeg verify` does (same trust options and state).
 * Exit 0; with `--check`, 1 when a headline is outside its tolerance.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { demoPreset } from '../economics/demo.ts';
import { runPaths } from '../economics/pool.ts';
import { type Preset, type PresetRun, preset, withinTolerance } from '../economics/presets.ts';
import {
  type SimulationResult,
  simulationCsv,
  simulationJson,
  simulationSvg,
  simulationText,
} from '../economics/report.ts';
import { parseScenario, type ScenarioJson, setField } from '../economics/scenario.ts';
import { prepare, simulate, summarize } from '../economics/simulate.ts';
import { ClearpegError } from '../errors.ts';
import { writeFileAtomically } from '../files.ts';
import { loadDtb3 } from '../reserves/rates.ts';
import { defaultStateDir, runVerify } from '../verifier/node.ts';
import {
  type Command,
  type CommandContext,
  commandOptions,
  exitCode,
  strings,
  UsageError,
} from './io.ts';
import { Progress } from './progress.ts';
import { baseUrl, trustOptions } from './verify.ts';

/** The running issuer's log did not verify: nothing to start `clearpeg-demo` from. */
class NotVerified extends Error {
  override name = 'NotVerified';
}

/** The preset or scenario file the command line names, before `--set`. */
async function choose(
  values: {
    preset?: string;
    scenario?: string;
    key?: string;
    witness?: string[];
    quorum?: string;
    state?: string;
    'trust-on-first-use'?: boolean;
  },
  positionals: readonly string[],
  context: CommandContext,
): Promise<Preset> {
  if ((values.preset === undefined) === (values.scenario === undefined))
    throw new UsageError('give one of --preset NAME or --scenario FILE.json');
  if (values.scenario !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(values.scenario, 'utf8'));
    } catch (error) {
      throw new UsageError(`--scenario: ${(error as Error).message}`);
    }
    return { name: 'scenario', scenario: raw as ScenarioJson, headlines: () => [] };
  }
  if (values.preset !== 'clearpeg-demo') return preset(values.preset!);
  const url = baseUrl(positionals, context.config);
  const run = await runVerify({
    url,
    trust: trustOptions(values),
    stateDir: values.state ?? defaultStateDir(),
  });
  if (!run.report.ok || run.report.attestation === null) {
    const failed = run.report.checks
      .filter((c) => c.status === 'fail')
      .map((c) => `${c.name}: ${c.detail}`);
    throw new NotVerified(
      `clearpeg-demo starts from ${url}'s latest attestation, which did not verify (${failed.join('; ') || 'no attestation yet'}); clearpeg verify ${url} shows why`,
    );
  }
  return demoPreset(run.report.attestation);
}

/**
 * Runs the scenario's own path, its headlines, and its Monte Carlo paths when it asks for some.
 * @example const result = await runSimulation(preset('svb-2023'), [])
 */
export async function runSimulation(
  chosen: Preset,
  sets: readonly string[],
  options: { threads?: number; progress?: Progress } = {},
): Promise<SimulationResult> {
  let json = chosen.scenario;
  for (const assignment of sets) json = setField(json, assignment);
  const scenario = parseScenario(json);
  const prepared = prepare(scenario, loadDtb3());
  const own: PresetRun = simulate(prepared);
  let monteCarlo = null;
  if (scenario.monteCarlo.paths > 0) {
    const progress = options.progress;
    const paths = await runPaths(prepared, json, {
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(progress === undefined
        ? {}
        : { onProgress: (done, total) => progress.update('paths', done, total) }),
    });
    progress?.end();
    monteCarlo = summarize(paths);
  }
  return { scenario: json, ...own, headlines: chosen.headlines(own), monteCarlo };
}

/**
 * `clearpeg simulate (--preset NAME | --scenario FILE) [--set key=value ...] [--paths N]
 * [--seed N] [--threads N] [--json | --csv | --svg FILE] [--check]`.
 * @example await simulateCommand.run(['--preset', 'svb-2023'], context)
 */
export const simulateCommand: Command = {
  name: 'simulate',
  usage:
    'clearpeg simulate (--preset issuer-2024|circle-2024|svb-2023|rate-cuts|clearpeg-demo | --scenario FILE.json) [--set key=value ...] [--paths N] [--seed N] [--threads N] [--json | --csv | --svg FILE] [--check] [URL --key VKEY | --trust-on-first-use]',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, {
      ...strings('preset', 'scenario', 'paths', 'seed', 'threads', 'svg', 'key', 'quorum', 'state'),
      set: { type: 'string', multiple: true },
      witness: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      check: { type: 'boolean' },
      'trust-on-first-use': { type: 'boolean' },
    });
    if ([values.json, values.csv].filter(Boolean).length > 1)
      throw new UsageError('give at most one of --json and --csv');
    if (values.preset !== 'clearpeg-demo' && positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const sets = [...(values.set ?? [])];
    for (const [option, field] of [
      ['paths', 'monteCarlo.paths'],
      ['seed', 'seed'],
    ] as const) {
      const value = values[option];
      if (value === undefined) continue;
      if (!/^[0-9]{1,10}$/.test(value))
        throw new UsageError(`--${option}: must be a whole number (got ${value})`);
      sets.push(`${field}=${value}`);
    }
    let threads: number | undefined;
    if (values.threads !== undefined) {
      if (!/^[0-9]{1,2}$/.test(values.threads))
        throw new UsageError(
          `--threads: must be a whole number from 0 to 99 (got ${values.threads})`,
        );
      threads = Number(values.threads);
    }
    let result: SimulationResult;
    try {
      const chosen = await choose(values, positionals, context);
      result = await runSimulation(chosen, sets, {
        ...(threads === undefined ? {} : { threads }),
        progress: new Progress(process.stderr.isTTY === true),
      });
    } catch (error) {
      if (error instanceof NotVerified) {
        context.err(`clearpeg simulate: ${error.message}`);
        return exitCode.failed;
      }
      // A wrong preset, scenario or --set is a wrong command line.
      if (
        error instanceof ClearpegError &&
        ['preset-unknown', 'scenario-invalid', 'date-invalid'].includes(error.code)
      )
        throw new UsageError(error.message);
      throw error;
    }
    if (values.svg !== undefined) {
      const path = resolve(values.svg);
      await writeFileAtomically(dirname(path), basename(path), simulationSvg(result));
    }
    if (values.json) context.out(simulationJson(result).trimEnd());
    else if (values.csv) context.out(simulationCsv(result).trimEnd());
    else {
      for (const line of simulationText(result)) context.out(line);
      if (values.svg !== undefined) context.out(`chart written to ${values.svg}`);
    }
    const out = result.headlines.some((h) => withinTolerance(h) === false);
    return values.check === true && out ? exitCode.failed : exitCode.ok;
  },
};
