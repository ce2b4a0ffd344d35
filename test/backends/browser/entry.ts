/**
 * What the browser test loads into headless Chromium (bundled by esbuild): the same backend code
 * on navigator.gpu, and the same net outcome the Node parity test computes.
 */
import { webgpuBackend } from '../../../src/backends/webgpu/index.ts';
import type { CellPath } from '../../../src/nn/recurrentNet.ts';
import { caseValues, type NetCase } from '../../nn/netCases.ts';
import { float32Values, netOutcome } from '../netOutcome.ts';

export interface BrowserParity {
  adapter(): Promise<string>;
  outcome(c: NetCase, path: CellPath): Promise<Record<string, number[]>>;
}

const api: BrowserParity = {
  adapter: async () => (await webgpuBackend()).description,
  outcome: async (c, path) => netOutcome(c, float32Values(caseValues(c)), await webgpuBackend(), 'float32', path),
};
(globalThis as { gradlabParity?: BrowserParity }).gradlabParity = api;
