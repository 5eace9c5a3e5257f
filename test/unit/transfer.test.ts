import { describe, expect, it } from 'vitest';
import { GitreproError } from '../../src/errors.js';
import { isFatalError, isTransientError, transfer } from '../../src/store/retry.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));
const transient = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('transfer pool', () => {
  it('never runs more than `jobs` workers at once, and uses all of them', async () => {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: 40 }, (_, i) => i);
    const r = await transfer(
      items,
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await tick(1 + (i % 3));
        running--;
      },
      { jobs: 4 },
    );
    expect(peak).toBe(4);
    expect(r.ok.sort((a, b) => a - b)).toEqual(items);
    expect(r.failed).toEqual([]);
  });

  it('retries transient errors with backoff, then succeeds', async () => {
    const attempts: number[] = [];
    const r = await transfer(
      ['a'],
      async (_item, attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw transient();
      },
      { jobs: 2, retries: 3, baseDelayMs: 1 },
    );
    expect(attempts).toEqual([1, 2, 3]);
    expect(r.ok).toEqual(['a']);
  });

  it('gives up after `retries` retries and reports the last error', async () => {
    let calls = 0;
    const r = await transfer(
      ['a'],
      async () => {
        calls++;
        throw transient();
      },
      { jobs: 1, retries: 2, baseDelayMs: 1 },
    );
    expect(calls).toBe(3);
    expect(r.failed).toHaveLength(1);
    expect((r.failed[0]!.error as { code: string }).code).toBe('ECONNRESET');
  });

  it('does not retry permanent errors, and collects failures instead of throwing', async () => {
    const calls = new Map<string, number>();
    const r = await transfer(
      ['ok1', 'missing', 'ok2', 'corrupt'],
      async (item) => {
        calls.set(item, (calls.get(item) ?? 0) + 1);
        if (item === 'missing') throw new GitreproError('GITREPRO_OBJECT_MISSING', 'gone');
        if (item === 'corrupt') throw new GitreproError('GITREPRO_OBJECT_CORRUPT', 'bad');
      },
      { jobs: 2, retries: 5, baseDelayMs: 1 },
    );
    expect(calls.get('missing')).toBe(1);
    expect(calls.get('corrupt')).toBe(1);
    expect(r.ok.sort()).toEqual(['ok1', 'ok2']);
    expect(r.failed.map((f) => f.item).sort()).toEqual(['corrupt', 'missing']);
  });

  it('stops starting new items after a fatal (remote-wide) error', async () => {
    const started: number[] = [];
    const auth = new GitreproError('GITREPRO_REMOTE_AUTH', 'bad key');
    const r = await transfer(
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        started.push(i);
        await tick();
        throw auth;
      },
      { jobs: 2 },
    );
    expect(started.length).toBeLessThanOrEqual(2);
    expect(r.failed).toHaveLength(20);
    expect(r.failed.every((f) => f.error === auth)).toBe(true);
  });

  it('reports progress with item counts and bytes', async () => {
    const seen: { done: number; total: number; bytes: number }[] = [];
    await transfer(
      [{ size: 10 }, { size: 5 }, { size: 0 }],
      async () => {},
      { jobs: 1, onProgress: (p) => seen.push(p) },
    );
    expect(seen.at(-1)).toEqual({ done: 3, total: 3, bytes: 15 });
    expect(seen.map((p) => p.done)).toEqual([1, 2, 3]);
  });

  it('handles an empty list and jobs larger than the list', async () => {
    expect(await transfer([], async () => {}, { jobs: 8 })).toEqual({ ok: [], failed: [] });
    expect((await transfer([1], async () => {}, { jobs: 64 })).ok).toEqual([1]);
  });
});

describe('error classes', () => {
  it('treats resets, timeouts, 5xx and throttling as transient', () => {
    expect(isTransientError(transient())).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { name: 'SlowDown' }))).toBe(true);
    expect(isTransientError({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransientError({ $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isTransientError(new GitreproError('GITREPRO_REMOTE_UNREACHABLE', 'reset', { data: { transient: true } }))).toBe(true);
  });

  it('treats auth, denial, missing and corrupt as permanent', () => {
    expect(isTransientError({ $metadata: { httpStatusCode: 403 }, name: 'AccessDenied' })).toBe(false);
    expect(isTransientError(new GitreproError('GITREPRO_REMOTE_AUTH', 'no'))).toBe(false);
    expect(isTransientError(new GitreproError('GITREPRO_OBJECT_MISSING', 'no'))).toBe(false);
    expect(isTransientError(new GitreproError('GITREPRO_OBJECT_CORRUPT', 'no'))).toBe(false);
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(false);
  });

  it('calls remote-wide refusals fatal, but not per-object or transient failures', () => {
    expect(isFatalError(new GitreproError('GITREPRO_REMOTE_AUTH', 'no'))).toBe(true);
    expect(isFatalError(new GitreproError('GITREPRO_REMOTE_NO_BUCKET', 'no'))).toBe(true);
    expect(isFatalError(new GitreproError('GITREPRO_OBJECT_MISSING', 'no'))).toBe(false);
    expect(isFatalError(new GitreproError('GITREPRO_REMOTE_UNREACHABLE', 'reset', { data: { transient: true } }))).toBe(false);
  });
});
