/**
 * Issue 10: Ctrl-C and SIGTERM always work. Whatever a gitrepro process (a hook included) is
 * blocked on, it ends promptly after the signal, by that signal, leaving no temp file and no
 * repository lock behind, and taking the stage it runs with it. The server that blocks it here
 * is a real TCP listener on loopback that accepts connections and never answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneOf, project } from '../helpers/remote.js';
import { BIN, type TestRepo } from '../helpers/repo.js';

let port = 0;
let connections = 0;
const held: Socket[] = [];
const server = createServer((s) => {
  connections++;
  held.push(s); // never answered
});
beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => ((port = (server.address() as AddressInfo).port), resolve()))));
afterAll(() => {
  for (const s of held) s.destroy();
  server.close();
});

/**
 * A clone whose store remote is the silent server (its own git config: nothing to accept);
 * with `installed`, it was installed (and its data restored) before the remote went silent.
 */
function blockedClone(o: { installed?: boolean } = {}): { c: TestRepo; r: TestRepo } {
  const { r, bare } = project();
  r.write('data/a.bin', 'payload\n');
  r.commit('a');
  r.git(['push', '-q', 'origin', 'main']);
  const c = cloneOf(r, bare, `c${Date.now()}`, { install: o.installed === true, env: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY000000', AWS_SECRET_ACCESS_KEY: 'x' } });
  c.git(['config', 'gitrepro.remote.store.url', 's3://bucket']);
  c.git(['config', 'gitrepro.remote.store.endpoint', `http://127.0.0.1:${port}`]);
  return { c, r };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function leftovers(c: TestRepo): string[] {
  const gr = path.join(c.dir, '.git', 'gitrepro');
  const out: string[] = [];
  if (existsSync(path.join(gr, 'lock'))) out.push('lock');
  for (const d of ['tmp', 'objects']) if (existsSync(path.join(gr, d))) out.push(...readdirSync(path.join(gr, d), { recursive: true }).map(String).filter((f) => path.basename(f).startsWith('.gitrepro-tmp')));
  return out;
}

describe('signals end gitrepro promptly', () => {
  it('SIGTERM ends an install blocked on a silent store remote: by that signal, leaving no temp file and no lock', async () => {
    const { c } = blockedClone();
    const before = connections;
    const child = spawn(BIN, ['install'], { cwd: c.dir, env: c.env, stdio: 'ignore' });
    const done = exited(child);
    expect(await waitFor(() => connections > before, 20_000)).toBe(true); // it is waiting on the server now
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(3_000); // a request timeout would be 10 s and more
    expect(leftovers(c)).toEqual([]);
  });

  it('Ctrl-C (SIGINT to the process group) ends a git pull whose hook is blocked on the remote, hook included', async () => {
    const { c, r } = blockedClone({ installed: true });
    const before = connections;
    // a new commit with data on origin, so that the pull's post-merge hook fetches
    r.write('data/b.bin', 'more\n');
    r.commit('b');
    r.git(['push', '-q', 'origin', 'main']);
    const child = spawn('git', ['pull', '-q', '--no-rebase', 'origin', 'main'], { cwd: c.dir, env: c.env, stdio: 'ignore', detached: true });
    const done = exited(child);
    expect(await waitFor(() => connections > before, 30_000)).toBe(true);
    const t0 = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    await done;
    // every process of the group (git, the hook's gitrepro) is gone
    const gone = await waitFor(() => {
      try {
        process.kill(-child.pid!, 0);
        return false;
      } catch {
        return true;
      }
    }, 3_000);
    expect(gone).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(leftovers(c)).toEqual([]);
  });

  it('SIGTERM to `gitrepro run` stops the stage command it runs as well', async () => {
    const { r } = project();
    const marker = `sleep ${30 + (Date.now() % 1000) / 1000}`;
    const child = spawn(BIN, ['run', '-n', 'long', '--', marker], { cwd: r.dir, env: r.env, stdio: 'ignore' });
    const done = exited(child);
    const running = () => spawnSync('pgrep', ['-f', `^${marker}$`]).status === 0;
    expect(await waitFor(running, 20_000)).toBe(true);
    child.kill('SIGTERM');
    expect((await done).signal).toBe('SIGTERM');
    expect(await waitFor(() => !running(), 3_000)).toBe(true);
    expect(leftovers(r)).toEqual([]);
  });
});
