/** Pure parts of issue 3: pre-push stdin, push --porcelain, note unions, the known cache, progress. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProgress, progressText } from '../../src/cli/progress.js';
import { isStaleRejection, parsePushPorcelain } from '../../src/git/transport.js';
import { unionNotes } from '../../src/repo/notes-union.js';
import { isRecordRef, isZeroOid, parsePrePushInput } from '../../src/ops/pre-push.js';
import { recordRefspecs, trackingName, trackingRefs } from '../../src/repo/record-sync.js';
import { formatNote, parseNote } from '../../src/record/record.js';
import { KnownCache } from '../../src/store/known.js';
import { PROJECT } from '../helpers/repo.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);

describe('pre-push stdin', () => {
  it('parses `<local ref> <local sha> <remote ref> <remote sha>` lines, deletions and sha256 ids included', () => {
    const text = `refs/heads/main ${A} refs/heads/main ${B}\n(delete) ${Z} refs/heads/old ${A}\nrefs/heads/x ${'c'.repeat(64)} refs/heads/x ${'0'.repeat(64)}\n`;
    expect(parsePrePushInput(text)).toEqual([
      { localRef: 'refs/heads/main', localSha: A, remoteRef: 'refs/heads/main', remoteSha: B },
      { localRef: '(delete)', localSha: Z, remoteRef: 'refs/heads/old', remoteSha: A },
      { localRef: 'refs/heads/x', localSha: 'c'.repeat(64), remoteRef: 'refs/heads/x', remoteSha: '0'.repeat(64) },
    ]);
    expect(isZeroOid(Z)).toBe(true);
    expect(isZeroOid(A)).toBe(false);
  });

  it('skips malformed lines', () => {
    expect(parsePrePushInput(`\ngarbage\nrefs/heads/main ${A} refs/heads/main\nrefs/heads/main XYZ refs/heads/main ${B}\nrefs/heads/a ${A} refs/heads/a ${B} extra\n`)).toEqual([]);
  });

  it('knows the record refs', () => {
    expect(isRecordRef('refs/notes/gitrepro')).toBe(true);
    expect(isRecordRef('refs/gitrepro/snapshots')).toBe(true);
    expect(isRecordRef('refs/heads/main')).toBe(false);
  });
});

describe('git push --porcelain', () => {
  it('parses per-ref status lines and tells stale rejections from hard ones', () => {
    const out = 'To ../o.git\n*\trefs/heads/main:refs/heads/main\t[new branch]\n!\trefs/notes/gitrepro:refs/notes/gitrepro\t[rejected] (fetch first)\n!\trefs/gitrepro/snapshots:refs/gitrepro/snapshots\t[remote rejected] (hook declined)\n=\trefs/heads/x:refs/heads/x\t[up to date]\nDone\n';
    const refs = parsePushPorcelain(out);
    expect(refs.map((r) => [r.flag, r.dst])).toEqual([
      ['*', 'refs/heads/main'],
      ['!', 'refs/notes/gitrepro'],
      ['!', 'refs/gitrepro/snapshots'],
      ['=', 'refs/heads/x'],
    ]);
    expect(refs.map(isStaleRejection)).toEqual([false, true, false, false]);
    expect(isStaleRejection({ flag: '!', src: 'a', dst: 'b', summary: '[rejected] (non-fast-forward)' })).toBe(true);
  });
});

describe('record refs of a Git remote', () => {
  it('tracks a named remote under its name and a URL under a digest; the refspecs are wildcards', () => {
    expect(trackingName('origin', ['origin'])).toBe('origin');
    expect(trackingName('/srv/x.git', ['origin'])).toMatch(/^url-[0-9a-f]{12}$/);
    expect(trackingRefs('origin')).toEqual({ notes: 'refs/notes/gitrepro-remotes/origin', snapshots: 'refs/gitrepro-remotes/origin/snapshots' });
    for (const spec of recordRefspecs('origin')) expect(spec).toMatch(/^\+refs\/.*\*:refs\/.*\*$/);
  });
});

const fixture = JSON.parse(readFileSync(path.join(PROJECT, 'fixtures', 'records', 'record-v1.json'), 'utf8'));

describe('joining two notes of one commit', () => {
  const rec = (recordedAt: string) => ({ ...fixture, recordedAt });
  it('keeps every distinct record of both sides, ours first', () => {
    const a = formatNote(rec('2026-01-01T00:00:00.000Z'));
    const b = formatNote(rec('2026-02-02T00:00:00.000Z'));
    const u = unionNotes(a, b)!;
    const p = parseNote(u);
    expect(p.ok && p.records.map((r) => r.recordedAt)).toEqual(['2026-01-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z']);
    // idempotent: joining again changes nothing, nor does joining a subset
    expect(unionNotes(u, b)).toBeUndefined();
    expect(unionNotes(u, a)).toBeUndefined();
    // a superset from the other side replaces ours
    expect(parseNote(unionNotes(a, u)!)).toEqual(p);
  });

  it('never lets an invalid note displace a valid one', () => {
    const a = formatNote(rec('2026-01-01T00:00:00.000Z'));
    expect(unionNotes(a, 'not json')).toBeUndefined();
    expect(unionNotes(a, '{"schema":"other"}')).toBeUndefined();
    expect(unionNotes('garbage', a)).toBe(a);
  });
});

describe('known-objects cache', () => {
  it('persists what a remote holds, and starts over for another location', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gr-known-')), 'remotes', 'r.known');
    const s1 = 'a'.repeat(64);
    const s2 = 'b'.repeat(64);
    const k = await KnownCache.load(file, '/srv/store');
    expect(k.has(s1)).toBe(false);
    await k.add([s1, s2, 'not-a-sha']);
    const again = await KnownCache.load(file, '/srv/store');
    expect([again.has(s1), again.has(s2), again.size]).toEqual([true, true, 2]);
    await again.forget([s2]);
    expect((await KnownCache.load(file, '/srv/store')).has(s2)).toBe(false);
    expect((await KnownCache.load(file, 's3://other')).size).toBe(0);
    writeFileSync(file, 'garbage\n');
    expect((await KnownCache.load(file, '/srv/store')).size).toBe(0);
  });
});

describe('transfer progress', () => {
  it('shows objects, bytes and rate', () => {
    expect(progressText({ label: 'uploading', done: 12, total: 40, bytes: 96 * 2 ** 20 }, 3)).toBe('uploading 12/40 objects, 96.0 MiB, 32.0 MiB/s');
  });

  it('is off when stderr is not a terminal', () => {
    expect(makeProgress({ isTTY: false } as NodeJS.WriteStream).reporter).toBeUndefined();
    expect(makeProgress({ isTTY: true } as NodeJS.WriteStream, { CI: 'true' }).reporter).toBeUndefined();
    expect(makeProgress({ isTTY: true } as NodeJS.WriteStream, {}).reporter).toBeDefined();
  });
});
