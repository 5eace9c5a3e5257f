/**
 * Opening a store remote from its definition in gitrepro.yaml
 * (`remotes: { <name>: { url, endpoint?, region? } }`, never secrets).
 *
 *   /srv/data-store, ../store, file:///srv/data-store   → directory remote
 *   s3://bucket, s3://bucket/some/prefix                  → S3 remote (AWS, or `endpoint` for
 *                                                           Ceph RGW, MinIO, Swift s3api, ...)
 *
 * Either backend is wrapped in a PackedRemote (store/remote-packed.ts), which reads every
 * format and writes the remote's own (v1 loose objects, v2 packs).
 *
 * The S3 backend is imported only when an S3 remote is opened: the AWS SDK takes ~100 ms to
 * parse, and the hooks and most commands never need it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GitreproError, redactText } from '../errors.js';
import { LocalStore } from './local.js';
import { DirRemote } from './remote-dir.js';
import { DEFAULT_FORMAT, type RemoteFormat } from './remote-format.js';
import { PackedRemote } from './remote-packed.js';

export interface RemoteDef {
  url: string;
  /** S3-compatible server, e.g. http://127.0.0.1:7480 (path-style addressing is then used) */
  endpoint?: string;
  region?: string;
  /** the format a first push declares on an empty remote (store/remote-format.ts; default 2) */
  format?: RemoteFormat;
}

export type ParsedRemoteUrl = { kind: 'dir'; path: string } | { kind: 's3'; bucket: string; prefix: string };

const SCHEME_RE = /^([a-z][a-z0-9+.-]*):\/\//i;
const SCP_RE = /^[\w.-]+@[\w.-]+:/; // user@host:path (ssh/scp syntax)
// Lenient on purpose: Ceph and older AWS regions allow upper case and underscores.
const BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

const SUPPORTED = 'use a directory path, a file:// URL or s3://bucket[/prefix] (with `endpoint:` for a non-AWS S3 server)';

/** Parses a remote url without touching the filesystem. A relative path stays relative. */
export function parseRemoteUrl(url: string): ParsedRemoteUrl {
  const u = url.trim();
  if (u === '') throw invalid('the remote url is empty', SUPPORTED);
  const scheme = SCHEME_RE.exec(u)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (SCP_RE.test(u)) throw invalid(`"${u}" looks like an ssh location, which is not a supported remote`, 'mount the share and use its local path, or use an S3 remote');
    return { kind: 'dir', path: u };
  }
  if (scheme === 'file') {
    let p: string;
    try {
      p = fileURLToPath(u);
    } catch (e) {
      throw invalid(`"${redactText(u)}" is not a local file URL (${(e as Error).message})`, 'write it as file:///absolute/path');
    }
    return { kind: 'dir', path: p };
  }
  if (scheme === 's3') {
    const rest = u.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (bucket.includes('@') || bucket.includes(':')) {
      throw invalid('credentials do not belong in an s3:// url', 'remove them; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws');
    }
    if (!BUCKET_RE.test(bucket)) throw invalid(`"${bucket}" is not a valid bucket name`, 'write s3://bucket[/prefix]');
    const prefix = (slash < 0 ? '' : rest.slice(slash + 1)).split('/').filter((s) => s !== '').join('/');
    if (prefix.split('/').some((s) => s === '.' || s === '..')) throw invalid(`the prefix of "${u}" has . or .. segments`, 'write s3://bucket/plain/prefix');
    return { kind: 's3', bucket, prefix };
  }
  const hint = scheme === 'http' || scheme === 'https' ? 'for an S3-compatible server write url: s3://bucket[/prefix] and endpoint: ' + redactText(u) : SUPPORTED;
  throw invalid(`unsupported remote url scheme "${scheme}://"`, hint);
}

/**
 * Opens store remote `name`. Directory paths are resolved against `opts.cwd` (default: the
 * process cwd). S3 credentials come from the standard AWS chain, read from `opts.env` when
 * given (tests), else from the process; `region` falls back to AWS_REGION, then us-east-1.
 */
export async function openRemote(
  name: string,
  def: RemoteDef,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; indexCache?: string } = {},
): Promise<PackedRemote> {
  const parsed = validateRemoteDef(name, def);
  let backend;
  if (parsed.kind === 'dir') backend = new DirRemote(name, path.resolve(opts.cwd ?? process.cwd(), parsed.path));
  else {
    const { S3Remote } = await import('./remote-s3.js');
    backend = new S3Remote(name, { bucket: parsed.bucket, prefix: parsed.prefix, endpoint: def.endpoint, region: def.region, env: opts.env ?? process.env });
  }
  return new PackedRemote(backend, { format: def.format ?? DEFAULT_FORMAT, cache: opts.indexCache ? new LocalStore(opts.indexCache) : undefined });
}

/**
 * Checks a remote definition without touching the filesystem or the network (url form, endpoint
 * only with s3://, no credentials anywhere); returns the parsed url. Errors name the remote.
 */
export function validateRemoteDef(name: string, def: RemoteDef): ParsedRemoteUrl {
  let parsed: ParsedRemoteUrl;
  try {
    parsed = parseRemoteUrl(def.url);
  } catch (e) {
    if (e instanceof GitreproError) throw new GitreproError(e.code, `store remote "${name}": ${e.message}`, { hint: e.hint, data: { remote: name } });
    throw e;
  }
  if (parsed.kind === 'dir' && def.endpoint !== undefined) {
    throw invalid(`store remote "${name}": endpoint applies only to s3:// remotes`, 'remove endpoint, or write the url as s3://bucket[/prefix]');
  }
  if (def.endpoint !== undefined) checkEndpoint(name, def.endpoint);
  return parsed;
}

function checkEndpoint(name: string, endpoint: string): void {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw invalid(`store remote "${name}": endpoint "${redactText(endpoint)}" is not a URL`, 'write it as http(s)://host[:port]');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`store remote "${name}": endpoint must be http(s)://, not ${u.protocol}//`, 'write it as http(s)://host[:port]');
  if (u.username || u.password) throw invalid(`store remote "${name}": credentials do not belong in the endpoint`, 'remove them; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws');
}

function invalid(message: string, hint: string): GitreproError {
  return new GitreproError('GITREPRO_REMOTE_INVALID', message, { hint });
}
