import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CODES } from '../../src/errors.js';
import { VERSION } from '../../src/version.js';
import { configSchema } from '../../src/record/config.js';
import { BIN, PROJECT } from '../helpers/repo.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { SETTINGS, setting } from '../../src/settings.js';

describe('public surface', () => {
  it('docs/errors.md lists every error code', () => {
    const doc = readFileSync(path.join(PROJECT, 'docs', 'errors.md'), 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(doc).toContain(`\`${code}\``);
  });

  it('docs/variables.md lists every environment variable gitrepro reads, with its meaning and default', () => {
    const doc = readFileSync(path.join(PROJECT, 'docs', 'variables.md'), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (.*) \| (.*) \|$/gm)].map((m) => [m[1], { meaning: m[2], default: m[3] }]));
    expect([...rows.keys()].sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [name, s] of Object.entries(SETTINGS)) {
      expect(rows.get(name)!.default, name).toBe(String(s.default));
      expect(rows.get(name)!.meaning.replaceAll('`GITREPRO_LOCKED`', 'GITREPRO_LOCKED').replace(' (seconds)', ''), name).toBe(s.meaning);
    }
  });

  it('no module but src/settings.ts reads a GITREPRO_* variable from the environment', () => {
    const offenders: string[] = [];
    const src = path.join(PROJECT, 'src');
    for (const f of readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && f !== 'settings.ts')) {
      const text = readFileSync(path.join(src, f), 'utf8');
      for (const m of text.matchAll(/env(?:\.|\[')(GITREPRO_[A-Z_]+)(?![A-Z_])(?!'?\]?\s*=[^=])/g)) offenders.push(`${f}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('settings are typed: flags, seconds with a default, presence', () => {
    expect(setting('GITREPRO_TRACE', { GITREPRO_TRACE: '1' })).toBe(true);
    expect(setting('GITREPRO_TRACE', { GITREPRO_TRACE: 'yes' })).toBe(false);
    expect(setting('GITREPRO_LOCK_TIMEOUT', {})).toBe(60);
    expect(setting('GITREPRO_LOCK_TIMEOUT', { GITREPRO_LOCK_TIMEOUT: '2.5' })).toBe(2.5);
    expect(setting('GITREPRO_LOCK_TIMEOUT', { GITREPRO_LOCK_TIMEOUT: 'soon' })).toBe(60);
    expect(setting('NO_COLOR', { NO_COLOR: '' })).toBe(true);
    expect(setting('NO_COLOR', {})).toBe(false);
  });

  it('the version stamped into records is package.json\'s', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')).version);
  });

  it('docs/gitrepro.schema.json is the JSON Schema of gitrepro.yaml', () => {
    const want = JSON.stringify(z.toJSONSchema(configSchema, { io: 'input' }), null, 2) + '\n';
    expect(readFileSync(path.join(PROJECT, 'docs', 'gitrepro.schema.json'), 'utf8')).toBe(want);
  });

  it.each(Object.keys(COMMANDS))('`gitrepro %s --help` has examples and a page under docs/commands', (cmd) => {
    const out = execFileSync(BIN, [cmd, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' } });
    expect(out).toMatch(/Examples:/);
    expect(out).toMatch(/--json/);
    expect(out).toMatchSnapshot();
    expect(readFileSync(path.join(PROJECT, 'docs', 'commands', `${cmd}.md`), 'utf8')).toMatch(new RegExp(`^# gitrepro ${cmd}`));
  });

  it('hooks and ordinary commands never load the S3 SDK', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gr-imports-'));
    const log = path.join(dir, 'loaded.txt');
    const hook = path.join(dir, 'hook.mjs');
    writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify('data:text/javascript,' + encodeURIComponent(`import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }`))});\n`);
    for (const args of [['hook', 'post-checkout', '0', '0', '0'], ['status'], ['--help']]) {
      spawnSync(process.execPath, ['--import', hook, BIN, ...args], { cwd: dir, encoding: 'utf8' });
    }
    const loaded = readFileSync(log, 'utf8');
    expect(loaded).toMatch(/dist\/gitrepro\.mjs/);
    expect(loaded).not.toMatch(/aws-sdk|remote-s3|smithy/i);
  });

  it("library warnings stay out of the user's output (shown with --debug)", () => {
    const warn = `data:text/javascript,${encodeURIComponent("let once = false; process.on('beforeExit', () => { if (!once) { once = true; process.emitWarning('NodeVersionSupportWarning: a library speaks'); } });")}`;
    const env = { ...process.env, NODE_OPTIONS: `--import=${warn}` };
    const quiet = spawnSync(BIN, ['frobnicate'], { encoding: 'utf8', env });
    expect(quiet.stderr).toMatch(/^error \[GITREPRO_USAGE\]/);
    expect(quiet.stderr).not.toContain('a library speaks');
    const loud = spawnSync(BIN, ['frobnicate', '--debug'], { encoding: 'utf8', env });
    expect(loud.stderr).toContain('a library speaks');
  });

  it('an unknown command fails with a usage error and no stack trace', () => {
    const r = spawnSync(BIN, ['frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error \[GITREPRO_USAGE\]/);
    expect(r.stderr).not.toMatch(/    at /);
  });
});
