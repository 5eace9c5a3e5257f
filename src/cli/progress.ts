/**
 * Progress of long transfers: objects, bytes and rate, on stderr, only when stderr is a terminal
 * and only once a transfer has run for a second (short ones print nothing). ora is imported on
 * that first second, so commands and hooks that move nothing never load it.
 */
import { setting } from '../settings.js';
import { humanBytes } from './output.js';

const DELAY_MS = 1000;

/** Where operations report progress (structurally the Reporter of repo/context.ts). */
export interface Reporter {
  progress?(p: { label: string; done: number; total: number; bytes?: number }): void;
}

export interface Progress {
  reporter?: Reporter;
  /** clears the spinner (call before printing the result) */
  stop(): void;
}

/** e.g. `uploading 12/40 objects, 96.0 MiB, 31.9 MiB/s` */
export function progressText(p: { label: string; done: number; total: number; bytes?: number }, secs: number): string {
  const bytes = p.bytes ?? 0;
  return `${p.label} ${p.done}/${p.total} objects, ${humanBytes(bytes)}, ${humanBytes(Math.round(bytes / Math.max(secs, 0.001)))}/s`;
}

export function makeProgress(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Progress {
  if (!stream.isTTY || setting('TERM', env) === 'dumb' || setting('CI', env)) return { stop() {} };
  let start: number | undefined;
  let spinner: { text: string; stop(): unknown } | undefined;
  let loading = false;
  let stopped = false;
  let text = '';
  const reporter: Reporter = {
    progress(p) {
      const now = Date.now();
      start ??= now;
      if (stopped || now - start < DELAY_MS) return;
      text = progressText(p, (now - start) / 1000);
      if (spinner) spinner.text = text;
      else if (!loading) {
        loading = true;
        void import('ora').then(({ default: ora }) => {
          if (!stopped) spinner = ora({ text, stream, discardStdin: false }).start();
        });
      }
    },
  };
  return {
    reporter,
    stop() {
      stopped = true;
      spinner?.stop();
    },
  };
}
