/// <reference lib="dom" />
/**
 * The report as a reader sees it: opened from disk in headless Chromium (Debian's, driven by
 * playwright-core). Every plot must hold one point (one line, for a series) per commit, each
 * naming its commit; the page must request nothing but itself and log no error. A screenshot
 * is saved under test-results/ for a person to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { addRecordedCommits } from '../helpers/experiments.js';
import { PROJECT, TestRepo } from '../helpers/repo.js';
import { browserTestEnv, CHROMIUM_ARGS } from './env.js';

const browser = browserTestEnv();
const SHOTS = path.join(PROJECT, 'test-results');

interface PageFacts {
  requests: string[];
  problems: string[];
  plots: { kind: string; key: string; declared: number; commits: string[]; titlesNameCommit: boolean; inside: boolean }[];
  scripts: number;
  tableRows: number;
  subjectCell: string;
}

/** Opens `file` with every request outside it refused and recorded; returns what the page holds. */
async function open(ctx: BrowserContext, file: string, screenshot: string): Promise<PageFacts> {
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const problems: string[] = [];
  await ctx.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url() === url ? route.continue() : route.abort();
  });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.screenshot({ path: screenshot, fullPage: false });
  const facts = await page.evaluate(() => {
    const plots = [...document.querySelectorAll<SVGSVGElement>('svg.plot')].map((svg) => {
      const marks = [...svg.querySelectorAll<SVGElement>('[data-commit]')];
      const box = svg.viewBox.baseVal;
      const inside = [...svg.querySelectorAll<SVGCircleElement>('circle.pt')].every((c) => {
        const b = c.getBBox();
        return b.x >= 0 && b.y >= 0 && b.x + b.width <= box.width && b.y + b.height <= box.height;
      });
      return {
        kind: svg.dataset.kind ?? '',
        key: svg.dataset.key ?? '',
        declared: Number(svg.dataset.points),
        commits: marks.map((m) => m.dataset.commit ?? ''),
        titlesNameCommit: marks.every((m) => (m.querySelector('title')?.textContent ?? '').startsWith(m.dataset.commit ?? '\0')),
        inside,
      };
    });
    const subject = [...document.querySelectorAll('#experiments td')].find((td) => td.textContent?.includes('alert('));
    return { plots, scripts: document.scripts.length, tableRows: document.querySelectorAll('#experiments tbody tr').length, subjectCell: subject?.textContent ?? '' };
  });
  await page.close();
  await ctx.unroute('**/*');
  return { requests, problems, ...facts };
}

describe.skipIf(!browser.ok)(`the report in a real browser${browser.ok ? '' : ` (skipped: ${browser.reason})`}`, () => {
  let ctx: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(path.join(tmpdir(), 'gr-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: browser.ok ? browser.executable : undefined,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1600 },
      offline: true,
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('a few real commits: one point per commit in every plot, nothing fetched, no console error, hostile text shown as text', async () => {
    const r = TestRepo.init({ track: ['logs/'] });
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml')}metrics: [metrics.json, logs/train.csv]\n`);
    const ids: string[] = [];
    for (const [i, lr] of [0.1, 0.05, 0.02, 0.01].entries()) {
      r.write('params.yaml', `train:\n  lr: ${lr}\n  optimizer: ${i % 2 ? 'adam' : 'sgd'}\n`);
      r.write('metrics.json', JSON.stringify({ acc: 0.8 + i * 0.03 - (i === 3 ? 0.08 : 0), loss: 0.3 - i * 0.05 }));
      r.write('logs/train.csv', `epoch,loss\n${[1, 2, 3, 4, 5].map((e) => `${e},${(1 / (1 + e * lr * 10)).toFixed(4)}`).join('\n')}\n`);
      r.commit(i === 2 ? 'lr 0.02 <script>alert("x")</script>' : `lr ${lr}`, { env: i === 2 ? { OMP_NUM_THREADS: '2' } : undefined });
      ids.push(r.head().slice(0, 7));
    }
    r.gr(['report', '-o', 'report.html', '--x', 'train.optimizer', '--y', 'acc']);
    const f = await open(ctx, r.path('report.html'), path.join(SHOTS, 'report.png'));
    expect(f.requests).toEqual([pathToFileURL(r.path('report.html')).href]);
    expect(f.problems).toEqual([]);
    expect(f.scripts).toBe(0);
    expect(f.tableRows).toBe(4);
    expect(f.subjectCell).toBe('lr 0.02 <script>alert("x")</script>');
    expect(f.plots.map((p) => `${p.kind}:${p.key}`)).toEqual(['line:acc', 'line:logs/train.csv:loss', 'line:metrics.json:loss', 'series:logs/train.csv:loss', 'scatter:train.optimizer acc']);
    for (const p of f.plots) {
      expect(p.commits, `${p.kind} ${p.key}`).toEqual(ids);
      expect(p.declared).toBe(ids.length);
      expect(p.titlesNameCommit).toBe(true);
      expect(p.inside).toBe(true);
    }
  });

  it('1,000 commits: every plot has its 1,000 points, the series its newest 50 lines', async () => {
    const r = TestRepo.init();
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml')}metrics: [metrics.json, train.csv]\n`);
    r.write('params.yaml', 'train:\n  lr: 0.1\n  epochs: 3\n');
    r.commit('start');
    const ids = addRecordedCommits(r, 1000, r.record()).map((c) => c.slice(0, 7));
    r.gr(['report', '-n', '1000', '-o', 'big.html']);
    const f = await open(ctx, r.path('big.html'), path.join(SHOTS, 'report-1000.png'));
    expect(f.requests).toHaveLength(1);
    expect(f.problems).toEqual([]);
    expect(f.tableRows).toBe(1000);
    for (const p of f.plots) {
      const want = p.kind === 'series' ? ids.slice(-50) : ids;
      expect(p.commits, `${p.kind} ${p.key}`).toEqual(want);
      expect(p.titlesNameCommit).toBe(true);
      expect(p.inside).toBe(true);
    }
  });
});
