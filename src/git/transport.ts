/**
 * Moving refs to and from a Git remote: `git fetch` of explicit refspecs and `git push
 * --porcelain`, whose per-ref status lines are parsed here. Both run the user's own transport
 * (ssh, https with its credential helper); no prompt is ever shown (GIT_TERMINAL_PROMPT=0).
 */
import { runGit, gitFailure } from './run.js';

export interface PushedRef {
  /** porcelain flag: ' ' fast-forward, '+' forced, '-' deleted, '*' new, '!' rejected, '=' up to date */
  flag: string;
  src: string;
  dst: string;
  /** e.g. `[rejected] (fetch first)`, `[up to date]`, `abc..def` */
  summary: string;
}

export interface PushResult {
  ok: boolean;
  refs: PushedRef[];
  stderr: string;
}

/**
 * Parses `git push --porcelain` stdout. Format (git-push(1), OUTPUT):
 *   To <url>
 *   <flag> \t <from>:<to> \t <summary> [(<reason>)]
 *   Done
 */
export function parsePushPorcelain(text: string): PushedRef[] {
  const out: PushedRef[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split('\t');
    if (parts.length < 3 || parts[0]!.length !== 1) continue;
    const [src, dst] = parts[1]!.split(':');
    out.push({ flag: parts[0]!, src: src ?? '', dst: dst ?? '', summary: parts.slice(2).join('\t') });
  }
  return out;
}

/** True when a rejection means "the remote moved on: fetch, integrate and retry". */
export function isStaleRejection(r: PushedRef): boolean {
  return r.flag === '!' && /fetch first|non-fast-forward|stale info|already exists/.test(r.summary);
}

/** Pushes `refspecs` to `remote` (a remote name or URL) without forcing; never throws on rejection. */
export async function pushRefs(cwd: string, remote: string, refspecs: string[], env?: Record<string, string | undefined>): Promise<PushResult> {
  const args = ['push', '--porcelain', '--no-follow-tags', remote, ...refspecs];
  const r = await runGit(cwd, args, { ok: [0, 1, 128], env });
  const refs = parsePushPorcelain(r.stdout.toString('utf8'));
  if (r.code !== 0 && refs.length === 0) throw gitFailure(args, r);
  return { ok: r.code === 0 && refs.every((x) => x.flag !== '!'), refs, stderr: r.stderr };
}

/**
 * Fetches `refspecs` from `remote`. Wildcard refspecs match nothing quietly when the remote has
 * no such ref (an exact one would fail the whole fetch). FETCH_HEAD is left alone: a `git pull`
 * whose hook calls this is still using it.
 */
export async function fetchRefs(cwd: string, remote: string, refspecs: string[], env?: Record<string, string | undefined>): Promise<void> {
  const args = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', remote, ...refspecs];
  await runGit(cwd, args, { env });
}
