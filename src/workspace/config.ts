/**
 * Reading and editing gitrepro.yaml, and mirroring its track patterns into a managed block of
 * .gitignore (tracked data must never enter git). Edits keep the user's comments (yaml Document).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { GitreproError } from '../errors.js';
import { CONFIG_FILE, configSchema, type Config } from '../record/index.js';
import { writeFileAtomic } from './fsutil.js';

export async function readConfigText(root: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(root, CONFIG_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

/** Parses and validates config text; problems are `path: message` lines in one error. */
export function parseConfig(text: string | undefined, where = CONFIG_FILE): Config {
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

export async function loadConfig(root: string): Promise<Config> {
  return parseConfig(await readConfigText(root));
}

/** Applies `edit` to the YAML document of gitrepro.yaml (creating it), validates and writes it. */
export async function editConfig(root: string, edit: (doc: YAML.Document) => void): Promise<Config> {
  const text = (await readConfigText(root)) ?? 'version: 1\n';
  const doc = YAML.parseDocument(text);
  edit(doc);
  const out = doc.toString();
  const cfg = parseConfig(out);
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
