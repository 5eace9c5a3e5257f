/**
 * Ctrl-C and SIGTERM end any gitrepro process promptly and leave nothing half-written. What a
 * process would leave behind is registered here while it exists: temp files (fs/atomic.ts
 * `tempPath`), the repository lock it holds (workspace/repo-lock.ts), children it waits for
 * (pipeline stages). On SIGINT, SIGTERM or SIGHUP the CLI (cli/main.ts) removes those files,
 * passes the signal on to those children, and then ends by the same signal, so that the shell
 * and git see a process killed by it (exit status 128 + N).
 *
 * Everything gitrepro writes under a final name is written atomically (temp, rename), so a
 * temp file is all that a killed process can leave; this removes even those. A leaf module.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const files = new Set<string>();
const stoppers = new Set<() => void>();
const children = new Set<{ pid?: number; kill(signal: NodeJS.Signals): unknown }>();

/** Registers a file to remove if the process is stopped by a signal (a temp file or directory, a held lock). */
export function removeOnSignal(file: string): void {
  files.add(file);
}

/** The file was renamed into place or removed: nothing to clean up any more. */
export function keepOnSignal(file: string): void {
  files.delete(file);
}

/**
 * Registers work on another thread that creates registered files (fs/write-thread.ts): `stop` is
 * called first on a signal, and must return only once that thread creates none any more, so
 * that removing the registered files leaves none behind.
 */
export function stopOnSignal(stop: () => void): () => void {
  stoppers.add(stop);
  return () => void stoppers.delete(stop);
}

/** Registers a child process to pass a stopping signal on to, while it runs. */
export function stopWithUs(child: { pid?: number; kill(signal: NodeJS.Signals): unknown; once(event: 'exit', cb: () => void): unknown }): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes what is registered and stops the children (synchronous: it runs in a signal handler). */
export function cleanUpNow(signal: NodeJS.Signals): void {
  for (const stop of stoppers) {
    try {
      stop();
    } catch {
      /* a thread already gone */
    }
  }
  for (const c of children) {
    // `sh -c cmd` forks cmd: the signal goes to every descendant, not only to the shell
    for (const pid of c.pid ? descendants(c.pid) : []) {
      try {
        process.kill(pid, signal);
      } catch {
        /* gone */
      }
    }
    try {
      c.kill(signal);
    } catch {
      /* gone */
    }
  }
  // recursive: a restore's fresh directory is written whole under a temp name (materialize.ts)
  for (const f of files) rmSync(f, { force: true, recursive: true });
  files.clear();
}

/** Installs the handlers: clean up, then end by the same signal (its default action). */
export function endOnSignals(): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanUpNow(sig);
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
    });
  }
}

/** The processes below `pid`, deepest first (from /proc on Linux; elsewhere none are known). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      parent.set(Number(n), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* ended meanwhile */
    }
  }
  const out: number[] = [];
  const visit = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        visit(child);
        out.push(child);
      }
    }
  };
  visit(pid);
  return out;
}
