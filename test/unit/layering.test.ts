import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT } from '../helpers/repo.js';

/**
 * STYLE §1 and docs/architecture.md: imports point one way, cli → ops → repo → pipeline →
 * workspace → {store, git, env} → record, and the leaves (errors, trace, settings, version,
 * concurrency, fs, secrets, shutdown, units) import nothing of ours but each other as listed; `report`
 * (the HTML page of `gitrepro report`) is drawn from plain data and imports only leaves. A file
 * or directory of src/
 * that this table does not name fails the test: a new room must say where it sits.
 * Layering nothing checks drifts: this test checks it.
 */
const SRC = path.join(PROJECT, 'src');
const LEAVES = ['errors', 'trace', 'settings', 'version', 'concurrency', 'fs', 'secrets', 'shutdown', 'units'];
const ALLOWED: Record<string, string[]> = {
  errors: [],
  settings: [],
  version: [],
  concurrency: [],
  secrets: [],
  shutdown: [],
  units: [],
  trace: ['settings'],
  fs: ['fs', 'errors', 'shutdown'],
  record: ['record'],
  store: ['store', 'record', ...LEAVES],
  git: ['git', 'record', ...LEAVES],
  env: ['env', 'record', ...LEAVES],
  workspace: ['workspace', 'store', 'git', 'env', 'record', ...LEAVES],
  pipeline: ['pipeline', 'workspace', 'store', 'git', 'env', 'record', ...LEAVES],
  repo: ['repo', 'pipeline', 'workspace', 'store', 'git', 'env', 'record', ...LEAVES],
  // the report page (HTML and SVG text from plain data): beside the rooms, below ops
  report: ['report', ...LEAVES],
  ops: ['ops', 'report', 'repo', 'pipeline', 'workspace', 'store', 'git', 'env', 'record', ...LEAVES],
  cli: ['cli', 'ops', 'record', 'errors', 'trace', 'settings', 'version', 'shutdown', 'units'],
};

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

function layerOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? rel[0].replace(/\.ts$/, '') : rel[0];
}

describe('layering', () => {
  it('every import in src/ points down the layers', () => {
    const bad: string[] = [];
    for (const f of files(SRC)) {
      const from = layerOf(f);
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
        const spec = m[1] ?? m[2];
        const to = layerOf(path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts')));
        // cli may use record's types only
        if (from === 'cli' && to === 'record' && !/^import type/.test(m[0])) bad.push(`${path.relative(SRC, f)} imports record values (${spec})`);
        if (!(from in ALLOWED)) bad.push(`${path.relative(SRC, f)}: src/${from} is not a known layer`);
        else if (!ALLOWED[from].includes(to)) bad.push(`${path.relative(SRC, f)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('record imports nothing but zod', () => {
    for (const f of files(path.join(SRC, 'record'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/from\s+['"]([^.'"][^'"]*)['"]/g)) expect([f, m[1]]).toEqual([f, 'zod']);
    }
  });
});
