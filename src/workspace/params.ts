/**
 * Params files (YAML or JSON): parsed and flattened to dotted keys ("train.lr": 0.01), so two
 * records compare key by key. Arrays stay values (a list of layer sizes is one param).
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { GitreproError } from '../errors.js';

export type ParamValues = Record<string, unknown>;

export function flattenParams(value: unknown, prefix = '', out: ParamValues = {}): ParamValues {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out[prefix] = {};
    for (const [k, v] of entries) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = value === undefined ? null : value;
  }
  return out;
}

/** Parses a params file's text (JSON when the name ends in .json, else YAML) into flat values. */
export function parseParams(text: string, name: string): ParamValues {
  let raw: unknown;
  try {
    raw = name.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new GitreproError('GITREPRO_CONFIG_INVALID', `params file ${name} does not parse: ${(e as Error).message.split('\n')[0]}`, { hint: `fix ${name}` });
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GitreproError('GITREPRO_CONFIG_INVALID', `params file ${name} must hold a mapping at the top`, { hint: `make ${name} a key: value mapping` });
  }
  // JSON round trip: dates and other YAML types become plain JSON values
  return JSON.parse(JSON.stringify(flattenParams(raw))) as ParamValues;
}

/**
 * A file of the work tree, read only when it is one: a symbolic link that leads out of the work
 * tree (a committed `params.yaml -> ~/.aws/credentials`) is refused (GITREPRO_UNSAFE_PATH), and
 * an absent file gives undefined.
 */
export async function readInWorkTree(root: string, rel: string): Promise<Buffer | undefined> {
  let real: string;
  try {
    real = await realpath(path.join(root, rel));
  } catch {
    return undefined;
  }
  const top = await realpath(root).catch(() => root);
  if (real !== top && !real.startsWith(top + path.sep)) {
    throw new GitreproError('GITREPRO_UNSAFE_PATH', `${rel} is a symbolic link leading out of the work tree: not read`, { hint: `make ${rel} a regular file of the repository` });
  }
  return readFile(real);
}

/** Keys whose values differ between two flat param sets. */
export function diffParams(a: ParamValues, b: ParamValues): { key: string; before: unknown; after: unknown }[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => ({ key: k, before: a[k], after: b[k] }));
}
