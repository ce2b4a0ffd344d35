/**
 * The WebGPU backend in headless Chromium (Debian's, through playwright-core, with
 * --enable-unsafe-webgpu; SwiftShader gives it an adapter without a GPU): the same backend code,
 * bundled by esbuild, runs on navigator.gpu, and the same net cases as cells.parity.test.ts must
 * equal the CPU backend's float64 results within the same float32 bound. A missing Chromium or
 * adapter fails the test; nothing is skipped.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { CELL_KINDS } from '../../src/cells/table.ts';
import { caseValues, netCaseArb, type NetCase } from '../nn/netCases.ts';
import { expectNetWithin, PARITY_BOUNDS } from './backends.ts';
import type { BrowserParity } from './browser/entry.ts';
import { float32Values, netOutcome } from './netOutcome.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CASES_PER_CELL = 2;

let context: BrowserContext | undefined;
let dir: string | undefined;

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page with the bundled backend loaded from file:// (a secure context, so navigator.gpu exists). */
async function openPage() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's Chromium (apt-get install chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'gradlab-webgpu-browser-'));
  const bundle = await build({
    entryPoints: [new URL('./browser/entry.ts', import.meta.url).pathname],
    // A classic script: Chromium refuses module scripts from file:// (their origin is null).
    bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'error',
  });
  writeFileSync(join(dir, 'entry.js'), bundle.outputFiles[0].text);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>gradlab webgpu parity</title><script src="entry.js"></script>');
  context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
  await page.goto(pathToFileURL(join(dir, 'index.html')).href);
  await page.waitForFunction(() => 'gradlabParity' in globalThis, undefined, { timeout: 30_000 }).catch((e: Error) => {
    throw new Error(`the bundle did not load: ${problems.join('; ') || e.message}`);
  });
  return { page, problems };
}

describe('WebGPU backend in headless Chromium', () => {
  it('has an adapter and equals cpu float64 on every cell and path (the Node parity cases)', async () => {
    const { page, problems } = await openPage();
    const adapter = await page.evaluate(() => (globalThis as unknown as { gradlabParity: BrowserParity }).gradlabParity.adapter());
    expect(adapter.length).toBeGreaterThan(0);
    const seed = Number(process.env.FC_SEED ?? 20261127);
    for (const cell of CELL_KINDS) {
      const cases = fc.sample(netCaseArb(cell, PARITY_BOUNDS), { seed: seed + CELL_KINDS.indexOf(cell), numRuns: CASES_PER_CELL });
      for (const c of cases) {
        const v = float32Values(caseValues(c));
        const reference = await netOutcome(c, v, cpu, 'float64', 'reference');
        for (const path of ['sequence', 'fused', 'reference'] as const) {
          const got = await page.evaluate(
            ([cc, p]) => (globalThis as unknown as { gradlabParity: BrowserParity }).gradlabParity.outcome(cc as NetCase, p as typeof path),
            [c, path] as const,
          );
          expectNetWithin(c, v, reference, got, `chromium (${adapter}) ${path} path`);
        }
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
