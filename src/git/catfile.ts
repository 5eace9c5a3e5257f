/**
 * A long-lived `git cat-file --batch` for reading many small objects (pointer blobs, notes,
 * locks) without a process per object. Requests are pipelined; replies come back in order.
 *
 * Protocol (git-cat-file(1)): for each request line `<object>\n` git answers
 * `<oid> <type> <size>\n<content>\n`, or `<object> missing\n`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitreproError } from '../errors.js';
import { keepHeap } from './run.js';

export interface CatObject {
  oid: string;
  type: string;
  content: Buffer;
}

interface Pending {
  resolve: (o: CatObject | undefined) => void;
  reject: (e: Error) => void;
}

export class CatFile {
  private child: ChildProcessWithoutNullStreams;
  private buf: Buffer = Buffer.alloc(0);
  private queue: Pending[] = [];
  /** replies already given: Array#shift is O(n) on long queues (100,000 pointer reads took 7 s) */
  private head = 0;
  private failed?: Error;
  private corked = false;

  /**
   * `o.bulk`: every read is asked for before `close()`, which must come before the replies are
   * awaited (`git cat-file --buffer`: git writes its replies in big blocks, not one write per
   * object, and the last block at the end of input; 100,000 pointer blobs were 100,000 writes).
   */
  constructor(cwd: string, o: { bulk?: boolean } = {}) {
    const env: NodeJS.ProcessEnv = keepHeap({ ...process.env, LC_ALL: 'C' });
    for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[k];
    this.child = spawn('git', ['cat-file', '--batch', ...(o.bulk ? ['--buffer'] : [])], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => this.onData(b));
    this.child.stdin.on('error', () => {});
    const fail = (why: string) => {
      this.failed = new GitreproError('GITREPRO_GIT_FAILED', `git cat-file failed: ${why}`);
      for (const p of this.queue.splice(this.head)) p.reject(this.failed);
      this.queue = [];
      this.head = 0;
    };
    this.child.on('error', (e) => fail(e.message));
    this.child.on('close', (code) => {
      if (this.queue.length > this.head) fail(`exited with ${code}`);
    });
  }

  /** Reads one object; undefined when it does not exist. */
  read(spec: string): Promise<CatObject | undefined> {
    if (this.failed) return Promise.reject(this.failed);
    if (/[\n\r]/.test(spec)) return Promise.reject(new GitreproError('GITREPRO_GIT_FAILED', 'object name with a newline'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      // the reads asked for in one tick go to git in one write: a snapshot's 100,000 pointers
      // were 100,000 pipe writes
      if (!this.corked) {
        this.corked = true;
        this.child.stdin.cork();
        process.nextTick(() => {
          this.corked = false;
          this.child.stdin.uncork();
        });
      }
      this.child.stdin.write(`${spec}\n`);
    });
  }

  private onData(b: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, b]) : b;
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString('utf8');
      const parts = header.split(' ');
      if (parts[parts.length - 1] === 'missing' || parts[parts.length - 1] === 'ambiguous') {
        this.buf = this.buf.subarray(nl + 1);
        this.next()?.resolve(undefined);
        continue;
      }
      const size = Number(parts[2]);
      if (this.buf.length < nl + 1 + size + 1) return;
      const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.next()?.resolve({ oid: parts[0]!, type: parts[1]!, content });
    }
  }

  private next(): Pending | undefined {
    const p = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  close(): void {
    this.child.stdin.end();
  }
}
