import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { loadExperiment } from '../../src/experiment/registry.ts';
import { resolveExperiment } from '../../src/experiment/resolve.ts';
import type { Results } from '../../src/experiment/results.ts';
import { runExperiment } from '../../src/experiment/runner.ts';
import { writeProbeReport } from '../../src/report/probeWrite.ts';
import { writeReport } from '../../src/report/write.ts';
import { HOSTILE_NAME, hostileResults, manyVariantsResults, vanishingLikeResults } from './fixtures.ts';
import { gruProbe, HOSTILE_FILE, lstmProbe } from './probeFixtures.ts';

/**
 * The written report in a real browser: headless Debian Chromium, no console errors, every chart
 * drawn by Plotly. A missing Chromium fails the test (CI must install it), never skips.
 *
 * The first report is opened from file://, as a user opens one. The others are served from a
 * local HTTP server at flat addresses (/1.html, /2.html, ...) in one reused tab, so every one of
 * them loads its plotly.min.js from the same address, /plotly.min.js, and Chromium reuses the
 * compiled script: compiling Plotly's 4.8 MB took 3 – 5 s of each page load, the compiled one
 * loads in under 1 s. The server checks first that the report's own folder holds plotly.min.js,
 * byte for byte the package's, and serves those bytes.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PLOTLY = readFileSync(createRequire(import.meta.url).resolve('plotly.js-dist-min/plotly.min.js'));

let context: BrowserContext | undefined;
let userDataDir: string | undefined;
let tab: Page | undefined;
/** What the page open now has reported: console errors, page errors, dialogs, failed requests. */
let problems: string[] = [];

/** The browser and its one tab, started on first use: each test fails (not skips) when Chromium
 * is missing. */
async function browserTab(): Promise<Page> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's Chromium (apt-get install chromium)`);
  }
  if (!tab) {
    userDataDir = mkdtempSync(join(tmpdir(), 'gradlab-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    tab = page;
  }
  return tab;
}

/** Reports served over HTTP, by number; the server starts on first use. */
const served: string[] = [];
let server: Server | undefined;

async function serve(indexHtml: string): Promise<string> {
  const copy = join(dirname(indexHtml), 'plotly.min.js');
  expect(existsSync(copy), `${copy}: the report's own Plotly`).toBe(true);
  expect(readFileSync(copy).equals(PLOTLY), `${copy} is the package's plotly.min.js`).toBe(true);
  if (!server) {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (path === '/favicon.ico') {
        res.writeHead(204).end(); // Chromium asks every http origin for one; a 404 is a console error
        return;
      }
      const n = /^\/(\d+)\.html$/.exec(path);
      const body = path === '/plotly.min.js' ? PLOTLY : n && served[Number(n[1])] ? readFileSync(served[Number(n[1])]) : null;
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      // Cacheable, so that Chromium keeps the compiled script with it.
      res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'cache-control': 'max-age=3600' });
      res.end(body);
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  }
  served.push(indexHtml);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/${served.length - 1}.html`;
}

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
});

interface Opened {
  page: Page;
  problems: string[];
}

/** Open a written report in the tab: from file:// (`via: 'file'`, what users do) or served. */
async function open(indexHtml: string, via: 'file' | 'http' = 'http'): Promise<Opened> {
  const page = await browserTab();
  const url = via === 'file' ? pathToFileURL(indexHtml).href : await serve(indexHtml);
  problems = [];
  const mine = problems;
  await page.goto(url);
  await page.waitForSelector('body[data-gradlab-rendered="done"]', { timeout: 30_000 });
  return { page, problems: mine };
}

async function expectAllChartsDrawn(page: Page, heatmaps: number): Promise<void> {
  const charts = await page.locator('.chart').count();
  // Results whose runs recorded LogEntry.gates have the three gate charts too.
  const gates = (await page.locator('#sec-gates').count()) > 0 ? 3 : 0;
  expect(charts).toBe(heatmaps + 8 + gates);
  expect(await page.locator('.chart.js-plotly-plot').count()).toBe(charts);
  expect(await page.locator('.js-plotly-plot .main-svg').count()).toBeGreaterThanOrEqual(charts);
  // Heatmaps are drawn as images inside the SVG; lines as paths in the scatter layer.
  expect(await page.locator('.chart-heatmap .hm image').count()).toBe(heatmaps);
  for (const id of ['flow-end', 'loss-chart', 'gradnorm-chart', 'sigma-chart', 'params-chart', 'update-chart']) {
    expect(await page.locator(`#${id} .scatterlayer .trace path.js-line`).count(), id).toBeGreaterThan(0);
  }
}

interface Box { x: number; y: number; width: number; height: number }
const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.width - 1 && b.x < a.x + a.width - 1 && a.y < b.y + b.height - 1 && b.y < a.y + a.height - 1;

interface LegendLayout { entries: Box[]; legend: Box; xtitle: Box; chart: Box }

/** Charts' legends as laid out: every entry's box, the legend's, the x axis title's and the
 * chart's, measured in the page in one call (one call per box was ~2 s a page). */
async function legendLayouts(page: Page, ids: readonly string[]): Promise<Record<string, LegendLayout>> {
  return page.evaluate((chartIds) => {
    const box = (el: Element | null, what: string): Box => {
      if (!el) throw new Error(`${what} is missing`);
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    return Object.fromEntries(chartIds.map((id) => {
      const chart = document.getElementById(id);
      const part = (selector: string): Box => box(chart?.querySelector(selector) ?? null, `#${id} ${selector}`);
      const entries = [...(chart?.querySelectorAll('.legend .traces') ?? [])].map((e, i) => box(e, `#${id} legend entry ${i}`));
      return [id, { entries, legend: part('.legend .bg'), xtitle: part('.g-xtitle'), chart: box(chart, `#${id}`) }];
    }));
  }, ids);
}

/** Every legend of the charts with one: no two entries overlap, right under the x axis title,
 * inside its chart. */
const LEGEND_CHARTS = ['loss-chart', 'gradnorm-chart', 'sigma-chart', 'update-chart', 'params-chart', 'flow-start', 'flow-middle', 'flow-end'];

async function expectLegendsFit(page: Page, ids: readonly string[] = LEGEND_CHARTS): Promise<void> {
  const layouts = await legendLayouts(page, ids);
  for (const id of ids) {
    const { entries, legend, xtitle, chart } = layouts[id];
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) expect(overlaps(entries[i], entries[j]), `${id}: entries ${i} and ${j} overlap`).toBe(false);
    }
    expect(legend.y, `${id}: legend under the x axis title`).toBeGreaterThanOrEqual(xtitle.y + xtitle.height - 1);
    expect(legend.y - (xtitle.y + xtitle.height), `${id}: legend right under the x axis title (its rows estimated exactly)`).toBeLessThan(30);
    expect(legend.y + legend.height, `${id}: legend inside the chart`).toBeLessThanOrEqual(chart.y + chart.height + 1);
    expect(legend.x + legend.width, `${id}: legend as wide as the chart at most`).toBeLessThanOrEqual(chart.x + chart.width + 1);
  }
}

describe('report in headless Chromium', () => {
  it('renders the vanishing report without errors and saves a screenshot', async () => {
    const dir = join(ARTIFACTS, 'report-vanishing');
    const index = writeReport(dir, vanishingLikeResults());
    const { page, problems } = await open(index, 'file');
    await expectAllChartsDrawn(page, 4);
    await expectLegendsFit(page);
    // The layer selector redraws; the two-layer LSTM then shows its top layer.
    await page.selectOption('#layer-select', '1');
    await expect.poll(() => page.locator('#heatmap-layer-2').textContent()).toBe('layer 1 of 2');
    await page.selectOption('#layer-select', '0');
    await page.selectOption('#flow-scale', 'rel');
    await page.selectOption('#flow-scale', 'abs');
    // The gate section of the LSTM (variant 2): dL/dc at start and end, gates, saturation.
    await page.selectOption('#gate-variant', '2');
    for (const id of ['gates-dldc', 'gates-grad', 'gates-sat']) {
      await expect.poll(() => page.locator(`#${id} .scatterlayer .trace path.js-line`).count(), { message: id }).toBeGreaterThan(1);
    }
    // Plotly draws a legend after the lines: wait for every entry before measuring.
    for (const [id, n] of [['gates-dldc', 2], ['gates-grad', 4], ['gates-sat', 4]] as const) {
      await expect.poll(() => page.locator(`#${id} .legend .traces`).count(), { message: id }).toBe(n);
      await expect.poll(async () => (await page.locator(`#${id} .legend .bg`).first().boundingBox()) !== null
        && (await page.locator(`#${id} .g-xtitle`).first().boundingBox()) !== null, { message: id }).toBe(true);
    }
    await page.waitForTimeout(300);
    await expectLegendsFit(page, ['gates-dldc', 'gates-grad', 'gates-sat']);
    await page.waitForTimeout(200);
    mkdirSync(ARTIFACTS, { recursive: true });
    const gatesBox = (await page.locator('#sec-gates').boundingBox())!;
    await page.screenshot({ path: join(ARTIFACTS, 'report-gates.png'), fullPage: true, clip: gatesBox });
    const shot = join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-first-screen.png') });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(problems).toEqual([]);
  });

  it('renders a real `vanishing --quick` run (the runner\'s own output) and saves its screenshot', async () => {
    const exp = resolveExperiment(await loadExperiment('vanishing'), { quick: true });
    const partial = await runExperiment(exp, { backend: cpu });
    const results: Results = {
      ...partial,
      env: {
        gradlab: 'test', node: process.version, backend: 'cpu', platform: process.platform, gitCommit: null,
        startedAt: new Date(0).toISOString(), durationMs: 0, command: 'gradlab experiment vanishing --quick',
      },
    };
    const index = writeReport(join(ARTIFACTS, 'vanishing-quick'), results);
    const { page, problems } = await open(index);
    await expectAllChartsDrawn(page, exp.variants.length);
    await expectLegendsFit(page);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'vanishing-quick.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('keeps 12 long-named variants\' legends apart, below the axis and inside their charts', async () => {
    const index = writeReport(join(ARTIFACTS, 'many-variants'), manyVariantsResults());
    const { page, problems } = await open(index);
    await expectAllChartsDrawn(page, 12);
    await expectLegendsFit(page);
    mkdirSync(ARTIFACTS, { recursive: true });
    const training = (await page.locator('#sec-training').boundingBox())!;
    await page.screenshot({ path: join(ARTIFACTS, 'many-variants-training.png'), fullPage: true, clip: training });
    expect(problems).toEqual([]);
  });

  it('shows hostile names as text: no dialog, no error, no injected element', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-hostile-'));
    const index = writeReport(dir, hostileResults());
    const { page, problems } = await open(index);
    await expectAllChartsDrawn(page, 2);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('#panel-0 h3').textContent()).toBe(HOSTILE_NAME);
    // Plotly's legend shows the name literally too.
    const legend = await page.locator('#loss-chart .legendtext').allTextContents();
    expect(legend.some((t) => t.startsWith('<img src=x'))).toBe(true);
    expect(await page.evaluate(() => document.scripts.length)).toBe(4);
    expect(problems).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the probe reports (2-layer LSTM, 1-layer GRU): every chart drawn, file names as text', async () => {
    const cases = [
      { name: 'probe-lstm', results: lstmProbe(), lines: ['probe-dldh', 'probe-dldc', 'probe-gates-0', 'probe-sat-0', 'probe-gates-1', 'probe-sat-1'], heatmaps: 2 },
      { name: 'probe-gru', results: gruProbe(), lines: ['probe-dldh', 'probe-gates-0', 'probe-sat-0'], heatmaps: 1 },
    ];
    for (const c of cases) {
      const { page, problems } = await open(writeProbeReport(join(ARTIFACTS, c.name), c.results));
      const charts = await page.locator('.chart').count();
      expect(charts, c.name).toBe(c.lines.length + c.heatmaps);
      expect(await page.locator('.chart.js-plotly-plot').count(), c.name).toBe(charts);
      expect(await page.locator('.chart-units .hm image').count(), c.name).toBe(c.heatmaps);
      for (const id of c.lines) expect(await page.locator(`#${id} .scatterlayer .trace path.js-line`).count(), id).toBeGreaterThan(0);
      await expectLegendsFit(page, c.lines);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('#probe-weights').textContent()).toBe(HOSTILE_FILE);
      expect(await page.evaluate(() => document.scripts.length)).toBe(4);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${c.name}.png`), fullPage: true });
      expect(problems, c.name).toEqual([]);
      }
  });
});
