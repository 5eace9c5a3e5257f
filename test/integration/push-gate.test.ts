/**
 * Issue 3, behaviour 1: the pre-push hook guards every push (real git, a bare origin, a
 * directory store remote). Each test is a story on one repository, to keep the suite quick.
 */
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addOrigin, dirRemoteObjects, manifestShas, notesIn, project, refsIn, sandboxOf } from '../helpers/remote.js';
import { sha256, TestRepo } from '../helpers/repo.js';

describe('pre-push uploads data and pushes the records', () => {
  it('uploads the missing objects and pushes the record refs to the same Git remote; the nested push does not recurse; another branch uploads its own data; no new data, no store call', () => {
    const share = mkdtempSync(path.join(tmpdir(), 'gr-share-'));
    // detached records: the gate must complete the record journal itself
    const { r, bare, store } = project({ storeDir: path.join(share, 'store'), detachedRecords: true, format: 1 });
    const log = path.join(sandboxOf(r), 'prepush.log');
    // a team's pre-push hook, there before gitrepro: the shim runs it for every push
    const chained = path.join(r.gitDir(), 'hooks', 'pre-push.gitrepro-chained');
    writeFileSync(chained, `#!/bin/sh\necho "records=\${GITREPRO_RECORDS_PUSH:-no} lines=$(cat | wc -l)" >> '${log}'\n`);
    chmodSync(chained, 0o755);
    r.write('data/a.bin', Buffer.alloc(5000, 1));
    r.write('data/b/c.txt', 'hello\n');
    r.commit('first');
    const push = r.git(['push', '-q', 'origin', 'main']);
    expect(push.stderr).toMatch(/gitrepro: uploaded 2 data object\(s\)/);
    const objs = dirRemoteObjects(store);
    expect([...objs.keys()].sort()).toEqual([...manifestShas(r.manifest())].sort());
    expect([...objs.values()].every(Boolean)).toBe(true);
    const refs = refsIn(bare, r.env);
    expect(refs.get('refs/heads/main')).toBe(r.head());
    expect(refs.get('refs/notes/gitrepro')).toBe(r.head('refs/notes/gitrepro'));
    expect(refs.get('refs/gitrepro/snapshots')).toBe(r.head('refs/gitrepro/snapshots'));
    expect(JSON.parse(notesIn(bare, r.env).get(r.head())!).schema).toBe('gitrepro.record/v1');
    // the outer push, then the nested records push (flagged, two refs), and nothing more
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['records=no lines=1', 'records=1 lines=2']);

    // a branch other than HEAD's: its data is uploaded although the work tree holds main's
    r.git(['switch', '-q', '-c', 'feature']);
    r.write('data/feature.bin', Buffer.alloc(3000, 7));
    r.commit('feature data');
    r.git(['switch', '-q', 'main']);
    expect(r.exists('data/feature.bin')).toBe(false);
    r.git(['push', '-q', 'origin', 'feature']);
    expect(dirRemoteObjects(store).get(sha256(Buffer.alloc(3000, 7)))).toBe(true);

    // the store vanishes (its share is unmounted): any call to it would now fail the push
    renameSync(share, `${share}-away`);
    try {
      r.write('code.py', 'print(1)\n');
      r.commit('code only');
      const res = r.git(['push', 'origin', 'main'], { env: { GITREPRO_TRACE: '1' } });
      expect(res.stderr).not.toMatch(/refused/);
      expect(res.stderr).toMatch(/gitrepro trace/); // node ran: a new commit is gated, records pushed
      expect(refsIn(bare, r.env).get('refs/notes/gitrepro')).toBe(r.head('refs/notes/gitrepro'));
      // nothing new at all, or commits the remote already has: sh answers, node never starts
      expect(r.git(['push', 'origin', 'main'], { env: { GITREPRO_TRACE: '1' } }).stderr).not.toMatch(/gitrepro trace/);
      expect(r.git(['push', 'origin', 'main:other'], { env: { GITREPRO_TRACE: '1' } }).stderr).not.toMatch(/gitrepro trace/);
    } finally {
      renameSync(`${share}-away`, share);
    }
  });
});

describe('pre-push refuses what others could not reproduce', () => {
  it('a commit without a record or without a lock: exit non-zero, each commit named with its fix; the fixes work', () => {
    const { r, bare } = project();
    r.write('data/a', 'a\n');
    r.commit('good');
    r.write('train.py', 'v2\n');
    r.commit('skipped hooks', { env: { GITREPRO_SKIP: '1' } }); // no record
    r.git(['rm', '-q', '--cached', 'gitrepro.lock']);
    r.write('train.py', 'v3\n');
    r.git(['add', 'train.py']);
    r.git(['commit', '-q', '-m', 'lock dropped'], { env: { GITREPRO_SKIP: '1' } }); // neither
    const [noRecord, noLock] = [r.head('HEAD~1'), r.head()];
    const res = r.git(['push', 'origin', 'main'], { ok: [1] });
    expect(res.stderr).toMatch(/gitrepro: push refused: 2 pushed commit\(s\) cannot be reproduced/);
    expect(res.stderr).toContain(`${noRecord.slice(0, 12)} "skipped hooks": no record; fix: gitrepro record ${noRecord.slice(0, 12)}`);
    expect(res.stderr).toContain(`${noLock.slice(0, 12)} "lock dropped": no gitrepro.lock (committed without gitrepro's pre-commit hook); fix: gitrepro add, then amend that commit`);
    expect(res.stderr).toContain(`${noLock.slice(0, 12)} "lock dropped": no record; fix: gitrepro record ${noLock.slice(0, 12)}`);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    expect(refsIn(bare, r.env).has('refs/heads/main')).toBe(false);
    // the fixes named
    r.gr(['record', noRecord]);
    r.gr(['add']);
    r.git(['add', 'gitrepro.lock']);
    r.git(['commit', '-q', '--amend', '--no-edit']);
    r.git(['push', '-q', 'origin', 'main']);
    expect(refsIn(bare, r.env).get('refs/heads/main')).toBe(r.head());
  });

  it('objects: one neither on the remote nor in the local store is refused by name; policy.pushMissing=refuse refuses until `gitrepro push`', () => {
    const { r, store, bare } = project({ format: 1 });
    r.write('data/keep', 'keep\n');
    r.write('data/lost.bin', Buffer.alloc(2048, 9));
    r.commit('first');
    const lost = sha256(Buffer.alloc(2048, 9));
    rmSync(r.objectPath(lost));
    const res = r.git(['push', 'origin', 'main'], { ok: [1] });
    expect(res.stderr).toMatch(/could not be uploaded to store remote "store"/);
    expect(res.stderr).toContain(`data object ${lost.slice(0, 12)} (data/lost.bin) is neither on store remote "store" nor in the local store`);
    expect(res.stderr).toMatch(/hint: fetch it from a remote that has it/);
    expect(dirRemoteObjects(store).has(lost)).toBe(false);
    // put it back; now with a policy that never uploads from the hook
    r.write('data/lost.bin', Buffer.alloc(2048, 9)); // rewritten: add stores it again
    r.gr(['add']);
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  pushMissing: refuse\n`);
    r.commit('policy');
    const notesBefore = refsIn(bare, r.env).get('refs/notes/gitrepro');
    const refused = r.git(['push', 'origin', 'main'], { ok: [1] });
    expect(refused.stderr).toMatch(/1 data object\(s\) of the pushed commits are not on store remote "store" and policy.pushMissing is "refuse"/);
    // under refuse, nothing goes to the Git remote before the check passed: not even the records
    expect(refsIn(bare, r.env).get('refs/notes/gitrepro')).toBe(notesBefore);
    expect(r.head('refs/notes/gitrepro')).not.toBe(notesBefore);
    expect(refused.stderr).toMatch(/fix: upload them with `gitrepro push store`/);
    expect(dirRemoteObjects(store).has(lost)).toBe(false);
    expect(r.gr(['push']).stdout).toMatch(/1 object\(s\) uploaded/);
    r.git(['push', '-q', 'origin', 'main']);
  });

  it('no data: no store remote needed; data without a store remote, or with an unreachable one: refused with what to do', () => {
    const r = TestRepo.init({ install: false });
    r.env.GITREPRO_SYNC_RECORDS = '1';
    r.write('README', 'old project\n');
    r.commit('pre-gitrepro history'); // never gated: the project had not adopted gitrepro yet
    r.gr(['install']);
    r.gr(['track', 'data/']);
    const bare = addOrigin(r);
    r.write('code.py', 'x = 1\n');
    r.commit('code');
    r.git(['push', '-q', 'origin', 'main']);
    expect(refsIn(bare, r.env).has('refs/notes/gitrepro')).toBe(true);
    r.write('data/a', 'a\n');
    r.commit('data');
    const none = r.git(['push', 'origin', 'main'], { ok: [1] });
    expect(none.stderr).toMatch(/push refused: no store remote is configured/);
    expect(none.stderr).toMatch(/hint: add one: `gitrepro remote add/);
    r.gr(['remote', 'add', 'team', '/nonexistent-mount/team/store']);
    const down = r.git(['push', 'origin', 'main'], { ok: [1] });
    expect(down.stderr).toMatch(/neither \/nonexistent-mount\/team\/store nor its parent directory exists/);
    expect(down.stderr).toMatch(/is the share mounted\?/);
    expect(down.stderr).not.toMatch(/^\s+at /m);
  });
});
