import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { assembleResults } from '../experiment/assemble.ts';
import { loadManifest, MANIFEST_FILE } from '../experiment/outputFolder.ts';
import type { Results } from '../experiment/results.ts';
import { resultsFileSchema } from '../experiment/resultsSchema.ts';
import { zodLine } from '../io/zodLine.ts';
import { PROBE_SCHEMA, type ProbeResults } from '../records/probe.ts';
import { writeProbeReport } from '../report/probeWrite.ts';
import { manifestEnv } from './provenance.ts';
import { finishReport, writeResults } from './reportHook.ts';
import { shownPath } from './shownPath.ts';
import { rerenderSuite, SUITE_FILE } from './suite.ts';
import { UsageError } from './usageError.ts';

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`report: cannot read ${file} as JSON (${(e as Error).message})`);
  }
}

const num = z.number().nullable();

/** What the probe page needs of a `gradlab probe` results.json, checked so that a hand-edited
 * file is one line naming the field. */
const gateSchema = z.looseObject({ name: z.string(), activation: z.enum(['sigmoid', 'tanh', 'relu']), gradNorm: z.array(num), saturation: z.array(z.number()), saturationHigh: z.array(z.number()) });
const probeFileSchema = z.looseObject({
  schema: z.literal(PROBE_SCHEMA),
  model: z.looseObject({ cell: z.string(), inputSize: z.number(), hiddenSize: z.number(), numLayers: z.number(), outputSize: z.number().nullable() }),
  source: z.looseObject({ weights: z.string(), data: z.string(), ignoredKeys: z.array(z.string()) }),
  layers: z.array(z.looseObject({ layer: z.number(), dLdh: z.array(num), dLdc: z.array(num).nullable(), gates: z.array(gateSchema) })).min(1),
  units: z.looseObject({ dLdh: z.array(z.array(num)), dLdc: z.array(z.array(num)).nullable() }),
});

function readResults(file: string, json: unknown = readJson(file)): Results {
  const parsed = resultsFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`report: ${file} is not a gradlab results file: ${zodLine('results', parsed.error)}`);
  return parsed.data as unknown as Results;
}

/**
 * A folder gradlab ran in (it has a manifest): results assembled afresh from its run files, so
 * a folder left by a kill (no results.json, or an older one) renders with its unfinished runs
 * as "interrupted" and what they logged. The env of an existing results.json is kept.
 */
function resultsOfFolder(dir: string): Results {
  const m = loadManifest(dir, 'report');
  const file = join(dir, 'results.json');
  return assembleResults(dir, m, existsSync(file) ? readResults(file).env : manifestEnv(m));
}

export function registerReport(program: Command): void {
  program
    .command('report <path>')
    .description('render index.html without re-running: from an output folder (assembling results.json from its run files, finished or not), a results.json, or a suite\'s folder (its summary, from the members\' current results)')
    .action((path: string) => {
      const target = resolve(path);
      if (!existsSync(target)) throw new UsageError(`report: ${path} does not exist; give an output folder or a results.json`);
      const isDir = statSync(target).isDirectory();
      const dir = isDir ? target : dirname(target);
      // A folder gradlab ran in gets its results.json assembled anew; a results.json alone is rendered as it is.
      const fromRuns = isDir && existsSync(join(dir, MANIFEST_FILE));
      if (isDir && !fromRuns && !existsSync(join(dir, 'results.json')) && existsSync(join(dir, SUITE_FILE))) {
        process.stderr.write(`wrote ${shownPath(rerenderSuite(dir))}\n`);
        return;
      }
      const file = isDir ? join(dir, 'results.json') : target;
      const json = fromRuns ? null : readJson(file);
      if (json && typeof json === 'object' && (json as { schema?: unknown }).schema === PROBE_SCHEMA) {
        const probe = probeFileSchema.safeParse(json);
        if (!probe.success) throw new UsageError(`report: ${file} is not a gradlab probe file: ${zodLine('results', probe.error)}`);
        process.stderr.write(`wrote ${shownPath(writeProbeReport(dir, probe.data as unknown as ProbeResults))}\n`);
        return;
      }
      const results = fromRuns ? resultsOfFolder(dir) : readResults(file, json);
      const reportPath = fromRuns ? writeResults(dir, results) : finishReport(dir, results);
      const unfinished = results.runs.filter((r) => r.status === 'interrupted').length;
      process.stderr.write(`wrote ${shownPath(reportPath)}${unfinished ? ` (${unfinished} of ${results.runs.length} runs unfinished, shown as interrupted)` : ''}\n`);
    });
}
