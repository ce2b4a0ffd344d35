import type { ProbeResults } from '../records/probe.ts';
import { renderProbeReport } from './probeRender.ts';
import { writePage } from './write.ts';

/**
 * Render a probe's results to `dir/index.html`, with Plotly copied next to it (as an
 * experiment's report): the folder opens offline from file://. Returns the path of index.html.
 */
export function writeProbeReport(dir: string, results: ProbeResults): string {
  return writePage(dir, (plotlyPath) => renderProbeReport(results, { plotlyPath }));
}
