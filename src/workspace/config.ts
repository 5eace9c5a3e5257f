/**
 * Reading and editing gitrepro.yaml, and mirroring its track patterns into a managed block of
 * .gitignore (tracked data must never enter git). Edits keep the user's comments (yaml Document).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type YAMLNS from 'yaml';
import { GitreproError } from '../errors.js';
import type { Config } from '../record/config.js';
import { CONFIG_FILE } from '../record/rules.js';
import { writeFileAtomic } from '../fs/atomic.js';

// yaml and the zod schema are loaded only when gitrepro.yaml must really be parsed: a hook that
// finds the validated config cached pays for neither (measured: ~13 ms and ~29 ms of node start).
const loadYaml = async () => (await import('yaml')).default;
const loadSchema = async () => (await import('../record/config.js')).configSchema;

export async function readConfigText(root: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(root, CONFIG_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

/** Parses and validates config text; problems are `path: message` lines in one error. */
export async function parseConfig(text: string | undefined, where = CONFIG_FILE): Promise<Config> {
  const YAML = await loadYaml();
  const configSchema = await loadSchema();
  let raw: unknown = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      raw = YAML.parse(text, { maxAliasCount: 100 });
    } catch (e) {
      throw new GitreproError('GITREPRO_CONFIG_INVALID', `${where} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { hint: `fix ${where} and retry` });
    }
  }
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new GitreproError('GITREPRO_CONFIG_INVALID', `${where} is invalid: ${lines.join('; ')}`, { hint: `fix ${where} (schema: docs/gitrepro.schema.json)`, data: { problems: lines } });
  }
  return r.data;
}

/** Identity of gitrepro.yaml's current content, as far as stat can tell (a rewrite moves ctime). */
function configKey(root: string): string {
  try {
    const st = statSync(path.join(root, CONFIG_FILE));
    return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  } catch {
    return 'absent';
  }
}

/**
 * Loads gitrepro.yaml. With `cacheDir`, the validated config is cached there keyed by the file's
 * stat, so hooks skip YAML parsing and validation while the file is unchanged.
 */
export async function loadConfig(root: string, cacheDir?: string): Promise<Config> {
  const key = configKey(root);
  const cacheFile = cacheDir ? path.join(cacheDir, 'config.json') : undefined;
  if (cacheFile) {
    try {
      const c = JSON.parse(await readFile(cacheFile, 'utf8')) as { key: string; config: Config };
      // a racy key (file changed within the last 2 s) is never trusted
      if (c.key === key && !c.key.startsWith('racy')) return c.config;
    } catch {
      /* no cache */
    }
  }
  const config = await parseConfig(await readConfigText(root));
  if (cacheFile) {
    const fresh = key !== 'absent' && Date.now() - Number(key.split(':')[1]) < 2000;
    await writeFileAtomic(cacheFile, JSON.stringify({ key: fresh ? `racy:${key}` : key, config }), { durable: false }).catch(() => {});
  }
  return config;
}

/** Applies `edit` to the YAML document of gitrepro.yaml (creating it), validates and writes it. */
export async function editConfig(root: string, edit: (doc: YAMLNS.Document) => void): Promise<Config> {
  const YAML = await loadYaml();
  const text = (await readConfigText(root)) ?? 'version: 1\n';
  const doc = YAML.parseDocument(text);
  edit(doc);
  const out = doc.toString();
  const cfg = await parseConfig(out);
  await writeFileAtomic(path.join(root, CONFIG_FILE), out);
  return cfg;
}

export const DEFAULT_CONFIG_TEXT = `# gitrepro project config: reviewed like code, never holds credentials.
# Docs: docs/commands and docs/gitrepro.schema.json of gitrepro.
version: 1
# Data paths kept in gitrepro's store, in .gitignore syntax (gitrepro track <pattern>).
track: []
# Params files (YAML or JSON) recorded with every commit; default: params.yaml when present.
# params: [params.yaml]
`;

const BEGIN = '# >>> gitrepro managed block: edit with `gitrepro track` / `gitrepro untrack` >>>';
const END = '# <<< gitrepro managed block <<<';

/** Rewrites the managed block of .gitignore to hold exactly `patterns`; other lines are kept. */
export async function syncGitignore(root: string, patterns: string[]): Promise<boolean> {
  const file = path.join(root, '.gitignore');
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    /* new file */
  }
  const lines = text.split('\n');
  const b = lines.indexOf(BEGIN);
  const e = lines.indexOf(END);
  let before = lines;
  let after: string[] = [];
  if (b >= 0 && e > b) {
    before = lines.slice(0, b);
    after = lines.slice(e + 1);
  }
  const block = patterns.length ? [BEGIN, ...patterns, END] : [];
  while (before.length && before[before.length - 1] === '') before.pop();
  const head = before.length ? [...before, ...(block.length ? [''] : [])] : [];
  const tail = after.filter((l, i) => !(i === 0 && l === ''));
  let out = [...head, ...block, ...tail].join('\n');
  if (out && !out.endsWith('\n')) out += '\n';
  if (out === text) return false;
  await writeFileAtomic(file, out);
  return true;
}
