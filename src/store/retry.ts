/**
 * Transfers with retries: a bounded-parallel pool (`transfer`) and the tests of which failures
 * are worth a retry (`isTransientError`) or stop the whole pool (`isFatalError`). Where the bytes
 * land is receive.ts's business.
 *
 * `jobs` workers pull items from one queue, so at most `jobs` transfers run at once whatever the
 * mix of sizes. A failure that `isTransient` accepts (connection reset, timeout, 5xx, throttling)
 * is retried up to `retries` times after an exponential backoff with full jitter (AWS's
 * "Exponential Backoff and Jitter": sleep = random(0, min(cap, base * 2^n))), which spreads the
 * retries of many workers instead of hammering a struggling server in lockstep. Anything else
 * (auth, missing, corrupt) fails at once. Failures are collected, never thrown, so a caller can
 * report the partial result. A failure that `isFatal` accepts (wrong credentials, no bucket,
 * unreachable) stops the pool from starting new items: they are reported failed with that error
 * instead of each paying for the same refusal.
 */
import { isGitreproError, type ErrorCode } from '../errors.js';

export interface TransferOptions<T> {
  /** how many workers run at once (at least 1) */
  jobs: number;
  /** how many times a transient failure is retried (default 3) */
  retries?: number;
  /** first backoff step in ms (default 250); step n waits up to base * 2^(n-1), capped at 10 s */
  baseDelayMs?: number;
  isTransient?: (e: unknown) => boolean;
  isFatal?: (e: unknown) => boolean;
  /** bytes an item accounts for in progress reports (default: its `size` field when numeric) */
  sizeOf?: (item: T) => number;
  onProgress?: (p: { done: number; total: number; bytes: number }) => void;
}

export interface TransferResult<T> {
  ok: T[];
  failed: { item: T; error: unknown }[];
}

const MAX_DELAY_MS = 10_000;

/**
 * Runs `worker` over `items` with at most `opts.jobs` in flight. `attempt` is 1 on the first
 * try of an item and grows with each retry. Resolves when every item succeeded or failed.
 */
export async function transfer<T>(
  items: T[],
  worker: (item: T, attempt: number) => Promise<void>,
  opts: TransferOptions<T>,
): Promise<TransferResult<T>> {
  const retries = opts.retries ?? 3;
  const base = opts.baseDelayMs ?? 250;
  const isTransient = opts.isTransient ?? isTransientError;
  const isFatal = opts.isFatal ?? isFatalError;
  const sizeOf = opts.sizeOf ?? defaultSize;
  const result: TransferResult<T> = { ok: [], failed: [] };
  let next = 0;
  let done = 0;
  let bytes = 0;
  let fatal: { error: unknown } | undefined;

  const finish = (item: T, error?: unknown): void => {
    done++;
    if (error === undefined) {
      result.ok.push(item);
      bytes += sizeOf(item);
    } else {
      result.failed.push({ item, error });
    }
    opts.onProgress?.({ done, total: items.length, bytes });
  };

  const runOne = async (item: T): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await worker(item, attempt);
        return finish(item);
      } catch (e) {
        if (attempt > retries || !isTransient(e) || fatal) {
          if (!fatal && isFatal(e)) fatal = { error: e };
          return finish(item, e);
        }
        const cap = Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1));
        await sleep(Math.random() * cap);
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      if (fatal) finish(item, fatal.error);
      else await runOne(item);
    }
  };

  const lanes = Math.max(1, Math.min(Math.floor(opts.jobs) || 1, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return result;
}

const TRANSIENT_NET = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalError']);

/**
 * The default transient test. GitreproErrors say so themselves (`data.transient`, set by the
 * remotes for resets, timeouts, 5xx and throttling); raw errors are judged by errno code, SDK
 * error name and HTTP status.
 */
export function isTransientError(e: unknown): boolean {
  if (isGitreproError(e)) return e.data?.transient === true;
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (typeof err.code === 'string' && TRANSIENT_NET.has(err.code)) return true;
  if (typeof err.name === 'string' && TRANSIENT_NAMES.has(err.name)) return true;
  if (err.$retryable) return true;
  const status = err.$metadata?.httpStatusCode ?? 0;
  return status === 429 || status >= 500;
}

const FATAL_CODES: ErrorCode[] = ['GITREPRO_REMOTE_AUTH', 'GITREPRO_REMOTE_DENIED', 'GITREPRO_REMOTE_NO_BUCKET', 'GITREPRO_REMOTE_INVALID', 'GITREPRO_REMOTE_UNREACHABLE', 'GITREPRO_REMOTE_FORMAT'];

/** The default fatal test: remote-wide refusals that the next item would meet too. */
export function isFatalError(e: unknown): boolean {
  return isGitreproError(e) && FATAL_CODES.includes(e.code) && e.data?.transient !== true;
}

function defaultSize(item: unknown): number {
  const size = (item as { size?: unknown } | null)?.size;
  return typeof size === 'number' ? size : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
