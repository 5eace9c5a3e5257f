/**
 * The change probe through Watchman (src/workspace/fsmonitor.ts, issue 11), against the real
 * daemon (Debian's watchman) and real hooks: what it reports is recorded, a commit right after
 * `gitrepro add` decides in sh, every doubt falls back to `find` without missing a change, and a
 * `.watchmanconfig` committed by someone else cannot hide data from the probe (two clones, one
 * hostile). changes.test.ts runs its whole truth suite with this probe too.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneOf, project } from '../helpers/remote.js';
import { run, sha256, TestRepo } from '../helpers/repo.js';
import { hasWatchman, unwatch, watchman } from '../helpers/watchman.js';

const traced = (r: TestRepo): NodeJS.ProcessEnv => ({ ...r.env, GITREPRO_TRACE: '1' });

/** What the commit `rev` recorded for `p` (its sha256), from the snapshot. */
function recorded(r: TestRepo, p: string, rev = 'HEAD'): string | undefined {
  return r.grJson(['ls-files', rev]).files.find((f: { path: string }) => f.path === p)?.sha256;
}

let edits = 0;
/** A plain `git commit` of a code change, as a user makes one: the pre-commit hook records the data. */
function plainCommit(r: TestRepo, msg: string, env?: NodeJS.ProcessEnv) {
  r.write('code.txt', `edit ${++edits}\n`);
  r.git(['add', 'code.txt']);
  return r.git(['commit', '-q', '-m', msg], { env });
}

function clockFile(r: TestRepo): string {
  return path.join(r.gitDir(), 'gitrepro', 'stamp.clock');
}

describe.skipIf(!hasWatchman())('the change probe through Watchman (git config gitrepro.fsmonitor watchman)', () => {
  const watched: TestRepo[] = [];
  afterAll(() => unwatch(watched));
  const watchedRepo = (r = TestRepo.init({ track: ['data/'] })): TestRepo => {
    r.git(['config', 'gitrepro.fsmonitor', 'watchman']);
    watched.push(r);
    return r;
  };

  it('a commit right after gitrepro add decides in sh; an edit made between the two is recorded all the same', () => {
    const r = watchedRepo();
    for (let i = 0; i < 50; i++) r.write(`data/d${i % 5}/f${i}.bin`, `file ${i}`);
    r.commit('base');
    expect(readFileSync(clockFile(r), 'utf8')).toMatch(/^c:\d+:\d+:\d+:\d+\n/);

    r.write('data/d1/f1.bin', 'one');
    const add = r.gr(['add'], { env: traced(r) });
    expect(add.stderr).toMatch(/probe \(watchman\): \d+ path\(s\) changed/);
    expect(add.stderr).toMatch(/scanned by the stamp: 1 change\(s\), 1 hashed/);
    // nothing changed since: the pre-commit shim asks Watchman and exits, no node started
    r.write('train.py', 'print(1)\n');
    r.git(['add', 'train.py']);
    const quiet = r.git(['commit', '-q', '-m', 'two'], { env: traced(r) });
    expect(quiet.stderr).not.toMatch(/gitrepro trace/);
    expect(recorded(r, 'data/d1/f1.bin')).toBe(sha256('one'));

    // an edit after `gitrepro add`: Watchman reports it, the pre-commit records it
    r.write('data/d2/f2.bin', 'two, staged');
    r.gr(['add']);
    r.write('data/d2/f2.bin', 'two, edited after add');
    r.write('data/d3/new.bin', 'new after add');
    const busy = r.git(['commit', '-q', '-m', 'three'], { env: traced(r) });
    expect(busy.stderr).toMatch(/probe \(watchman\)/);
    expect(recorded(r, 'data/d2/f2.bin')).toBe(sha256('two, edited after add'));
    expect(recorded(r, 'data/d3/new.bin')).toBe(sha256('new after add'));
    expect(r.grJson(['status'])).toMatchObject({ added: [], modified: [], deleted: [] });

    // a global Watchman configuration that ignores directories (get-config does not show it): find
    const cfg = path.join(r.dir, '..', 'watchman.json');
    writeFileSync(cfg, JSON.stringify({ ignore_dirs: ['data'] }));
    r.write('data/d4/f4.bin', 'four');
    const global = r.gr(['add', '--json'], { env: { ...traced(r), WATCHMAN_CONFIG_FILE: cfg } });
    expect(JSON.parse(global.stdout).modified).toEqual(['data/d4/f4.bin']);
    expect(global.stderr).not.toMatch(/probe \(watchman\)|watchman clock taken/);
    expect(existsSync(clockFile(r))).toBe(false);

    // the clone opts out: the next step drops the clock, and the shims stop asking Watchman
    r.gr(['add']);
    expect(existsSync(clockFile(r))).toBe(true);
    r.git(['config', '--unset', 'gitrepro.fsmonitor']);
    r.gr(['status']);
    expect(existsSync(clockFile(r))).toBe(false);
  });

  it('when Watchman cannot answer (a clock of another instance, watchman failing, a recrawl) find decides and nothing is missed', () => {
    const r = watchedRepo();
    for (let i = 0; i < 20; i++) r.write(`data/f${i}.bin`, `file ${i}`);
    r.commit('base');

    // a clock from another Watchman instance: Watchman says "fresh instance", so find decides
    const lines = readFileSync(clockFile(r), 'utf8').split('\n');
    writeFileSync(clockFile(r), ['c:1:1:1:1', ...lines.slice(1)].join('\n'));
    r.write('data/f1.bin', 'edited 1');
    const s1 = r.gr(['status', '--json'], { env: traced(r) });
    expect(JSON.parse(s1.stdout)).toMatchObject({ modified: ['data/f1.bin'], added: [], deleted: [] });
    expect(s1.stderr).not.toMatch(/probe \(watchman\)/);
    expect(s1.stderr).toMatch(/watchman clock taken/);
    // the commit (shim and node) finds it too, and the next probe asks Watchman again
    plainCommit(r, 'one');
    expect(recorded(r, 'data/f1.bin')).toBe(sha256('edited 1'));
    r.write('data/f2.bin', 'edited 2');
    const s2 = r.gr(['status', '--json'], { env: traced(r) });
    expect(JSON.parse(s2.stdout)).toMatchObject({ modified: ['data/f2.bin'] });
    expect(s2.stderr).toMatch(/probe \(watchman\)/);

    // a `watchman` that fails (a broken install first on PATH): find decides, in sh and in node
    const bin = path.join(r.dir, '..', 'broken-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'watchman'), '#!/bin/sh\necho "watchman: broken" >&2\nexit 1\n');
    chmodSync(path.join(bin, 'watchman'), 0o755);
    const broken = { ...r.env, PATH: `${bin}:${r.env.PATH}` };
    plainCommit(r, 'two', broken);
    expect(recorded(r, 'data/f2.bin')).toBe(sha256('edited 2'));
    r.write('data/f3.bin', 'edited 3');
    plainCommit(r, 'three', broken);
    expect(recorded(r, 'data/f3.bin')).toBe(sha256('edited 3'));

    // the watch dropped and made again (Watchman restarted, say): its clock is new, the old one
    // names another watch: find decides once
    watchman(['watch-del', realDir(r)]);
    r.write('data/f4.bin', 'edited 4');
    plainCommit(r, 'four');
    expect(recorded(r, 'data/f4.bin')).toBe(sha256('edited 4'));
    r.write('data/f5.bin', 'edited 5');
    const s3 = r.gr(['status', '--json'], { env: traced(r) });
    expect(JSON.parse(s3.stdout)).toMatchObject({ modified: ['data/f5.bin'] });
    expect(s3.stderr).toMatch(/probe \(watchman\)/);
  });

  it('an edit Watchman cannot see (through a hard link from outside the work tree) is still stored before a checkout replaces it', () => {
    const r = watchedRepo();
    r.write('data/a.bin', 'version one');
    r.commit('one');
    r.write('data/a.bin', 'version two');
    r.commit('two');
    // inotify reports a write only through the path it was made by: Watchman never hears of this
    const outside = path.join(r.dir, '..', 'elsewhere.bin');
    linkSync(r.path('data/a.bin'), outside);
    writeFileSync(outside, 'edited through the link');
    const add = r.gr(['add', '--json'], { env: traced(r) });
    expect(add.stderr).toMatch(/probe \(watchman\): 0 path/);
    // the checkout's guard goes by the stamp, which a scan by Watchman does not move
    r.git(['checkout', '-q', 'HEAD~1']);
    expect(r.read('data/a.bin').toString()).toBe('version one');
    expect(existsSync(r.objectPath(sha256('edited through the link')))).toBe(true);
    expect(r.gr(['recover', '--list']).stdout).toMatch(/data\/a\.bin/);
  });

  it('a stamp left an hour behind by Watchman scans is moved by the next whole gitrepro add (a find scan); status keeps asking Watchman', () => {
    const r = watchedRepo();
    for (let i = 0; i < 20; i++) r.write(`data/d${i % 4}/f${i}.bin`, `file ${i}`);
    r.commit('base');
    const stamp = path.join(r.gitDir(), 'gitrepro', 'stamp');
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stamp, old, old);
    r.write('data/d1/f1.bin', 'one');
    // status saves no stamp: it goes on asking Watchman, and the stamp stays where it was
    const st = r.gr(['status', '--json'], { env: traced(r) });
    expect(JSON.parse(st.stdout).modified).toEqual(['data/d1/f1.bin']);
    expect(st.stderr).toMatch(/probe \(watchman\)/);
    expect(Math.abs(statSync(stamp).mtimeMs - old.getTime())).toBeLessThan(1000);
    // a whole add saves its read with the stamp: find reads, and the stamp moves to now
    const add = r.gr(['add', '--json'], { env: traced(r) });
    expect(JSON.parse(add.stdout).modified).toEqual(['data/d1/f1.bin']);
    expect(add.stderr).not.toMatch(/probe \(watchman\)/);
    expect(statSync(stamp).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    // and Watchman answers again from then on
    r.write('data/d2/f2.bin', 'two');
    const next = r.gr(['add', '--json'], { env: traced(r) });
    expect(JSON.parse(next.stdout).modified).toEqual(['data/d2/f2.bin']);
    expect(next.stderr).toMatch(/probe \(watchman\)/);
  });

  it('a file that becomes a directory, and a directory that becomes a file, are recorded as find records them', () => {
    const r = watchedRepo();
    r.write('data/a', 'a file');
    r.write('data/d/x.bin', 'x');
    r.write('data/keep.bin', 'keep');
    r.commit('one');
    rmSync(r.path('data/a'));
    r.write('data/a/inner.bin', 'now a directory');
    r.commit('two');
    expect(Object.keys(r.manifest()).sort()).toEqual(['data/a/inner.bin', 'data/d/x.bin', 'data/keep.bin']);
    expect(r.grJson(['ls-files']).files.map((f: { path: string }) => f.path)).toEqual(['data/a/inner.bin', 'data/d/x.bin', 'data/keep.bin']);
    rmSync(r.path('data/d'), { recursive: true });
    r.write('data/d', 'now a file');
    mkdirSync(r.path('data/empty-now'));
    r.commit('three');
    expect(r.grJson(['ls-files']).files.map((f: { path: string }) => f.path)).toEqual(['data/a/inner.bin', 'data/d', 'data/keep.bin']);
    r.gr(['verify', '--local', 'HEAD']);
    r.gr(['verify', '--local', 'HEAD~1']);
    r.git(['checkout', '-q', 'HEAD~2']);
    expect(r.read('data/a').toString()).toBe('a file');
    expect(r.read('data/d/x.bin').toString()).toBe('x');
  });

  it('a directory a collaborator replaces by a symlink is not read through (two clones, one hostile)', () => {
    const { r: attacker, bare } = project();
    attacker.write('data/d/b.bin', 'b');
    attacker.write('data/keep.bin', 'keep');
    attacker.commit('base');
    attacker.git(['push', '-q', 'origin', 'main']);
    const victim = watchedRepo(cloneOf(attacker, bare, 'victim'));
    victim.gr(['add']);
    expect(existsSync(clockFile(victim))).toBe(true);
    // the victim's secrets, outside the work tree, with a file named as the snapshot's
    const secret = path.join(victim.dir, '..', 'victim-secrets');
    mkdirSync(secret);
    writeFileSync(path.join(secret, 'b.bin'), 'the victim\'s private key');
    // the attacker commits data/d as a git symlink to that directory
    attacker.git(['rm', '-q', '--cached', '-r', '--ignore-unmatch', 'data/d']);
    rmSync(attacker.path('data/d'), { recursive: true });
    symlinkSync(secret, attacker.path('data/d'));
    attacker.git(['add', '-f', 'data/d']);
    attacker.git(['commit', '-q', '-m', 'a link'], { env: { GITREPRO_SKIP: '1' } });
    attacker.git(['push', '-q', 'origin', 'main'], { env: { GITREPRO_SKIP: '1' } });
    victim.git(['pull', '-q', '--ff-only', 'origin', 'main'], { ok: [0, 1] });
    victim.gr(['add'], { ok: [0, 1] });
    victim.gr(['status'], { ok: [0, 1] });
    expect(existsSync(victim.objectPath(sha256('the victim\'s private key')))).toBe(false);
    const staged = victim.grJson(['ls-files', ':']).files.map((f: { sha256: string }) => f.sha256);
    expect(staged).not.toContain(sha256('the victim\'s private key'));
  });

  it('a watch that loaded a .watchmanconfig ignoring data is not used, even once the file is gone', () => {
    const r = watchedRepo();
    r.write('data/a.bin', 'a');
    r.commit('one');
    // Watchman restarted while a pulled .watchmanconfig ignored data/ (it restores its watches
    // and reads the file then); the file is gone since, the watch keeps what it read
    watchman(['watch-del', realDir(r)]);
    writeFileSync(r.path('.watchmanconfig'), JSON.stringify({ ignore_dirs: ['data'] }));
    watchman(['watch-project', realDir(r)]);
    rmSync(r.path('.watchmanconfig'));
    expect(watchman(['get-config', realDir(r)]).config).toEqual({ ignore_dirs: ['data'] });
    r.write('data/a.bin', 'edited');
    const add = r.gr(['add', '--json'], { env: traced(r) });
    expect(JSON.parse(add.stdout).modified).toEqual(['data/a.bin']);
    expect(add.stderr).not.toMatch(/watchman clock taken/);
    expect(existsSync(clockFile(r))).toBe(false);
    plainCommit(r, 'two');
    r.write('data/a.bin', 'edited again');
    plainCommit(r, 'three');
    expect(recorded(r, 'data/a.bin')).toBe(sha256('edited again'));
    watchman(['watch-del', realDir(r)]);
  });

  it('a Watchman that does not answer is left alone: the commit goes on by find, and so do the next steps for a while', () => {
    const r = watchedRepo();
    r.write('data/a.bin', 'a');
    r.commit('one');
    const bin = path.join(r.dir, '..', 'stuck-bin');
    mkdirSync(bin, { recursive: true });
    const calls = path.join(bin, 'calls');
    writeFileSync(path.join(bin, 'watchman'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec sleep 30\n`);
    chmodSync(path.join(bin, 'watchman'), 0o755);
    const stuck = { ...r.env, PATH: `${bin}:${r.env.PATH}` };
    r.write('data/a.bin', 'edited');
    const c = plainCommit(r, 'two', { ...stuck, GITREPRO_TRACE: '1' });
    expect(c.stderr).toMatch(/watchman timed out: find decides/);
    expect(recorded(r, 'data/a.bin')).toBe(sha256('edited'));
    expect(existsSync(path.join(r.gitDir(), 'gitrepro', 'watchman.off'))).toBe(true);
    expect(existsSync(clockFile(r))).toBe(false);
    const asked = readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;
    expect(asked).toBeGreaterThan(0);
    // the next steps do not ask it again (sh: no clock; node: backing off)
    r.write('data/a.bin', 'edited again');
    plainCommit(r, 'three', stuck);
    expect(recorded(r, 'data/a.bin')).toBe(sha256('edited again'));
    expect(readFileSync(calls, 'utf8').split('\n').filter(Boolean).length).toBe(asked);
  });

  it('where timeout(1) is missing, the sh shims never ask Watchman (a stuck server could not be cut off): find decides', () => {
    const r = watchedRepo();
    r.write('data/a.bin', 'a');
    r.commit('one');
    const fast = readFileSync(path.join(r.gitDir(), 'gitrepro', 'fast'), 'utf8');
    const fn = fast.split('\n').find((l) => l.startsWith('gr_watchman() {'));
    expect(fn).toBeDefined();
    const bin = path.join(r.dir, '..', 'only-watchman-bin');
    mkdirSync(bin, { recursive: true });
    const calls = path.join(bin, 'calls');
    writeFileSync(path.join(bin, 'watchman'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec sleep 30\n`);
    chmodSync(path.join(bin, 'watchman'), 0o755);
    const stamp = path.join(r.gitDir(), 'gitrepro', 'stamp');
    const ask = (PATH: string) => run('/bin/sh', ['-c', `${fn}\ngr_watchman '${stamp}'; echo "rc=$?"`], r.dir, { ...r.env, PATH });
    // no timeout on PATH: the function gives up at once, and watchman is not started
    expect(ask(bin).stdout).toContain('rc=1');
    expect(existsSync(calls)).toBe(false);
    // with timeout(1) the same shim asks it (the stuck one is cut off after 3 s: find decides)
    const timeoutDir = path.dirname(run('/bin/sh', ['-c', 'command -v timeout'], r.dir, r.env).stdout.trim());
    expect(ask(`${bin}:${timeoutDir}`).stdout).toContain('rc=1');
    expect(readFileSync(calls, 'utf8')).toMatch(/-j --no-pretty --no-spawn --no-local/);
  });

  it('a .watchmanconfig committed by a collaborator cannot hide data from the probe', () => {
    // the attacker: a valid-looking commit adding a .watchmanconfig that ignores data/
    const { r: attacker, bare } = project();
    attacker.write('data/a.bin', 'a');
    attacker.commit('base');
    attacker.git(['push', '-q', 'origin', 'main']);
    const victim = watchedRepo(cloneOf(attacker, bare, 'victim'));
    victim.gr(['status']);
    attacker.write('.watchmanconfig', JSON.stringify({ ignore_dirs: ['data'] }));
    attacker.commit('editor settings');
    attacker.git(['push', '-q', 'origin', 'main']);

    victim.git(['pull', '-q', '--ff-only', 'origin', 'main']);
    expect(existsSync(victim.path('.watchmanconfig'))).toBe(true);
    // Watchman watches the clone anew (after a restart, say): it would read the attacker's file
    watchman(['watch-del', realDir(victim)]);
    victim.gr(['status']);
    // the victim's edit: a plain commit (the pre-commit shim) records it, and so does add
    victim.write('data/a.bin', 'the victim\'s edit');
    plainCommit(victim, 'edit');
    expect(recorded(victim, 'data/a.bin')).toBe(sha256('the victim\'s edit'));
    victim.write('data/b.bin', 'new data');
    const add = victim.gr(['add', '--json'], { env: traced(victim) });
    expect(JSON.parse(add.stdout).added).toEqual(['data/b.bin']);
    expect(add.stderr).not.toMatch(/probe \(watchman\)/);
    // unsaved work is stored before a checkout replaces it: the probe sees it
    plainCommit(victim, 'b');
    victim.write('data/a.bin', 'unsaved');
    victim.git(['checkout', '-q', 'HEAD~2']);
    expect(victim.read('data/a.bin').toString()).toBe('a');
    expect(existsSync(victim.objectPath(sha256('unsaved')))).toBe(true);
  });
});

function realDir(r: TestRepo): string {
  return realpathSync(r.dir);
}
