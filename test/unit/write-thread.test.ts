/**
 * The restore's writing thread (fs/write-thread.ts): it writes what the calling thread would
 * (same bytes, same modes, the destination replaced by a rename), answers a failure for the one
 * file it concerns, leaves no temp file, and hands everything back to the calling thread when it
 * cannot take it (memory that is not shared, a small batch, a thread that is gone). An awaited
 * batch keeps the process alive; an idle thread does not.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { chmodNeeded, FileWriter, type FileWrite } from '../../src/fs/write-thread.js';
import { sharedBuffer } from '../../src/store/hash-thread.js';
import { PROJECT } from '../helpers/repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'gr-write-thread-'));
  dirs.push(d);
  return d;
}

/** `n` files of distinct lengths and bytes laid side by side in one shared buffer, after a gap. */
function batch(root: string, n: number, shared = true): { buf: Buffer; files: FileWrite[]; want: Buffer[] } {
  const want = Array.from({ length: n }, (_, i) => Buffer.from(`file ${i} `.repeat(i + 1)));
  const total = 100 + want.reduce((s, b) => s + b.length, 0);
  const buf = shared ? sharedBuffer(total) : Buffer.alloc(total);
  let at = 100;
  const files = want.map((b, i) => {
    b.copy(buf, at);
    const mode = i % 3 === 0 ? 0o755 : 0o644;
    const f = { tmp: path.join(root, `d${i % 4}`, `.gitrepro-tmp-t${i}`), dest: path.join(root, `d${i % 4}`, `f${i}`), offset: at, length: b.length, mode, chmod: chmodNeeded(mode) };
    at += b.length;
    return f;
  });
  for (let d = 0; d < 4; d++) mkdirSync(path.join(root, `d${d}`), { recursive: true });
  return { buf, files, want };
}

function expectWritten(root: string, files: FileWrite[], want: Buffer[]): void {
  files.forEach((f, i) => {
    expect(readFileSync(f.dest).equals(want[i]!)).toBe(true);
    expect(statSync(f.dest).mode & 0o777).toBe(f.mode);
  });
  for (let d = 0; d < 4; d++) expect(readdirSync(path.join(root, `d${d}`)).filter((x) => x.startsWith('.gitrepro-tmp-'))).toEqual([]);
}

/** One batch through a new FileWriter, closed after: its answer, and where it was written. */
async function writeWith(o: { thread: boolean }, buf: Buffer, files: FileWrite[]): Promise<{ errors: Awaited<ReturnType<FileWriter['write']>>; counts: FileWriter['counts'] }> {
  const w = new FileWriter(o);
  try {
    return { errors: await w.write(buf, files), counts: { ...w.counts } };
  } finally {
    await w.close();
  }
}

describe('FileWriter', () => {
  it('writes a batch on its thread as the calling thread would: bytes, modes, a file replaced whole', async () => {
    const root = scratch();
    const { buf, files, want } = batch(root, 80);
    writeFileSync(files[5]!.dest, 'an older version, longer than the new one '.repeat(50));
    const { errors, counts } = await writeWith({ thread: true }, buf, files);
    expect(errors).toEqual(files.map(() => null));
    expect(counts).toEqual({ thread: 1, here: 0 });
    expectWritten(root, files, want);
  });

  it('answers a failure for its own file only, and removes its temp file', async () => {
    for (const thread of [true, false]) {
      const root = scratch();
      const { buf, files, want } = batch(root, 70);
      files[9] = { ...files[9]!, tmp: path.join(root, 'gone', '.gitrepro-tmp-x'), dest: path.join(root, 'gone', 'f9') }; // no such directory
      mkdirSync(files[20]!.dest); // a non-empty directory where the file goes: the rename fails
      writeFileSync(path.join(files[20]!.dest, 'keep'), 'kept');
      const { errors, counts } = await writeWith({ thread }, buf, files);
      expect(errors[9]).toMatchObject({ code: 'ENOENT' });
      expect(errors[20]).toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
      expect(errors.filter((e) => e !== null)).toHaveLength(2);
      expect(counts).toEqual(thread ? { thread: 1, here: 0 } : { thread: 0, here: 1 });
      expect(existsSync(files[20]!.tmp)).toBe(false);
      expect(readFileSync(path.join(files[20]!.dest, 'keep'), 'utf8')).toBe('kept');
      const ok = files.map((_, i) => i).filter((i) => i !== 9 && i !== 20);
      expectWritten(root, ok.map((i) => files[i]!), ok.map((i) => want[i]!));
    }
  });

  it('a file expected absent that appeared meanwhile is left as it is (EEXIST), on either thread', async () => {
    for (const thread of [true, false]) {
      const root = scratch();
      const { buf, files, want } = batch(root, 70);
      for (const f of files) f.absent = true;
      writeFileSync(files[11]!.dest, 'made by the user meanwhile');
      files[12]!.absent = false;
      writeFileSync(files[12]!.dest, 'an older version, to be replaced');
      const { errors, counts } = await writeWith({ thread }, buf, files);
      expect(errors[11]).toMatchObject({ code: 'EEXIST', message: expect.stringMatching(/appeared there while the restore ran; it was left as it is/) });
      expect(errors.filter((e) => e !== null)).toHaveLength(1);
      expect(counts).toEqual(thread ? { thread: 1, here: 0 } : { thread: 0, here: 1 });
      expect(readFileSync(files[11]!.dest, 'utf8')).toBe('made by the user meanwhile');
      const ok = files.map((_, i) => i).filter((i) => i !== 11);
      expectWritten(root, ok.map((i) => files[i]!), ok.map((i) => want[i]!));
    }
  });

  it('writes on the calling thread what it cannot share, a small batch, and when told to', async () => {
    const cases = [
      { shared: false, n: 80, o: { thread: true } },
      { shared: true, n: 10, o: { thread: true } }, // default minimum: 64 files
      { shared: true, n: 80, o: { thread: false } },
    ];
    for (const c of cases) {
      const root = scratch();
      const { buf, files, want } = batch(root, c.n, c.shared);
      const { errors, counts } = await writeWith(c.o, buf, files);
      expect(errors).toEqual(files.map(() => null));
      expect(counts).toEqual({ thread: 0, here: 1 });
      expectWritten(root, files, want);
    }
  });

  it('a thread that is gone leaves the batch to the calling thread, which writes all of it', async () => {
    const root = scratch();
    const first = batch(path.join(root, 'a'), 70);
    const second = batch(path.join(root, 'b'), 70);
    const w = new FileWriter({ thread: true });
    try {
      expect(await w.write(first.buf, first.files)).toEqual(first.files.map(() => null));
      await (await (w as unknown as { worker: Promise<Worker> }).worker).terminate(); // as if it had crashed
      expect(await w.write(second.buf, second.files)).toEqual(second.files.map(() => null));
      expect(w.counts).toEqual({ thread: 1, here: 1 });
    } finally {
      await w.close();
    }
    expectWritten(path.join(root, 'a'), first.files, first.want);
    expectWritten(path.join(root, 'b'), second.files, second.want);
  });
});

describe('the writing thread and the process', () => {
  it('an awaited batch keeps the process alive, an idle thread does not', async () => {
    const dir = scratch();
    const out = path.join(dir, 'write-thread.mjs');
    await build({ entryPoints: [path.join(PROJECT, 'src/fs/write-thread.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
    // nothing but the thread's answer is pending while it writes; the writer is never closed
    const script = `import { FileWriter } from ${JSON.stringify(out)};
import { readdirSync } from 'node:fs';
const w = new FileWriter({ thread: true, minFiles: 1 });
const sab = new SharedArrayBuffer(4096);
new Uint8Array(sab).fill(65);
const files = Array.from({ length: 200 }, (_, i) => ({ tmp: ${JSON.stringify(dir)} + '/.gitrepro-tmp-' + i, dest: ${JSON.stringify(dir)} + '/f' + i, offset: 0, length: 4096, mode: 0o644, chmod: false }));
const errors = await w.write(new Uint8Array(sab), files);
console.log(errors.filter((e) => e === null).length, w.counts.thread, readdirSync(${JSON.stringify(dir)}).filter((f) => /^f\\d+$/.test(f)).length);`;
    writeFileSync(path.join(dir, 'run.mjs'), script);
    // a process that hangs is killed at the time-out: status null, not 0
    const res = spawnSync(process.execPath, [path.join(dir, 'run.mjs')], { encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe('200 1 200');
  });
});

describe('the writing thread and a signal', () => {
  it('Ctrl-C while it writes a batch leaves no temp file: it starts no file after the signal and finishes the one it is in', async () => {
    const dir = scratch();
    const out = path.join(dir, 'entry.mjs');
    // what materialize does: temp paths registered for removal on a signal, the CLI's handlers
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(entry, `import { FileWriter } from ${JSON.stringify(path.join(PROJECT, 'src/fs/write-thread.ts'))};
import { tempDone, tempPath } from ${JSON.stringify(path.join(PROJECT, 'src/fs/atomic.ts'))};
import { endOnSignals } from ${JSON.stringify(path.join(PROJECT, 'src/shutdown.ts'))};
endOnSignals();
const into = process.argv[2];
const sab = new SharedArrayBuffer(4096);
new Uint8Array(sab).fill(65);
const files = Array.from({ length: 20000 }, (_, i) => ({ tmp: tempPath(into, 'obj'), dest: into + '/f' + i, offset: 0, length: 4096, mode: 0o644, chmod: false }));
const w = new FileWriter();
process.stdout.write('go\\n');
await w.write(new Uint8Array(sab), files);
for (const f of files) tempDone(f.tmp);
await w.close();
process.stdout.write('done\\n');
`);
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
    for (let k = 0; k < 8; k++) {
      const into = path.join(dir, `run${k}`);
      mkdirSync(into);
      const p = spawn(process.execPath, [out, into], { stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise((res) => p.stdout.once('data', res));
      await new Promise((res) => setTimeout(res, 20 + k * 15)); // at different points of the batch
      p.kill('SIGINT');
      const [code, signal] = await new Promise<[number | null, string | null]>((res) => p.on('exit', (c, s) => res([c, s])));
      const names = readdirSync(into);
      expect(names.filter((n) => n.startsWith('.gitrepro-tmp-'))).toEqual([]);
      // stopped by the signal, unless the batch was done before it came
      if (signal === null) expect(code).toBe(0);
      else expect(signal).toBe('SIGINT');
      for (const n of names.slice(0, 50)) expect(statSync(path.join(into, n)).size).toBe(4096);
    }
  });

  it('Ctrl-C while it writes a fresh directory whole leaves no temp directory (its files are removed with it)', async () => {
    const dir = scratch();
    const out = path.join(dir, 'entry-dir.mjs');
    // what materialize does for a fresh directory: one temp directory registered, its files written directly
    const entry = path.join(dir, 'entry-dir.ts');
    writeFileSync(entry, `import { mkdirSync } from 'node:fs';
import { FileWriter } from ${JSON.stringify(path.join(PROJECT, 'src/fs/write-thread.ts'))};
import { tempDone, tempPath } from ${JSON.stringify(path.join(PROJECT, 'src/fs/atomic.ts'))};
import { endOnSignals } from ${JSON.stringify(path.join(PROJECT, 'src/shutdown.ts'))};
endOnSignals();
const into = process.argv[2];
const sab = new SharedArrayBuffer(4096);
new Uint8Array(sab).fill(65);
const tmp = tempPath(into, 'dir');
mkdirSync(tmp);
const files = Array.from({ length: 20000 }, (_, i) => ({ tmp: tmp + '/f' + i, dest: tmp + '/f' + i, offset: 0, length: 4096, mode: 0o644, chmod: false, direct: true }));
const w = new FileWriter();
process.stdout.write('go\\n');
await w.write(new Uint8Array(sab), files);
await w.close();
process.stdout.write('done\\n');
`);
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
    let stopped = 0;
    for (let k = 0; k < 4; k++) {
      const into = path.join(dir, `run${k}`);
      mkdirSync(into);
      const p = spawn(process.execPath, [out, into], { stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise((res) => p.stdout.once('data', res));
      await new Promise((res) => setTimeout(res, 20 + k * 15));
      p.kill('SIGINT');
      const [code, signal] = await new Promise<[number | null, string | null]>((res) => p.on('exit', (c, s) => res([c, s])));
      if (signal === 'SIGINT') {
        stopped++;
        expect(readdirSync(into)).toEqual([]);
      } else expect(code).toBe(0);
    }
    expect(stopped).toBeGreaterThan(0);
  });
});
