/**
 * Everything the CLI prints goes through here: human text or --json, colour only on a terminal
 * and never with NO_COLOR, progress (ora) only on a terminal and only for long work.
 */
import { setting } from '../settings.js';

export interface Output {
  json(value: unknown): void;
  line(text?: string): void;
  err(text: string): void;
  color: { green(s: string): string; red(s: string): string; yellow(s: string): string; dim(s: string): string; bold(s: string): string };
  isTTY: boolean;
  /** width wide tables fold to (COLUMNS, else the terminal's); undefined: do not fold */
  columns?: number;
}

export function makeOutput(stream: NodeJS.WriteStream = process.stdout, errStream: NodeJS.WriteStream = process.stderr): Output {
  const useColor = Boolean(stream.isTTY) && !setting('NO_COLOR') && setting('TERM') !== 'dumb';
  const wrap = (code: number, close: number) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[${close}m` : s);
  return {
    json: (v) => stream.write(`${JSON.stringify(v, null, 2)}\n`),
    line: (t = '') => stream.write(`${t}\n`),
    err: (t) => errStream.write(`${t}\n`),
    color: { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) },
    isTTY: Boolean(stream.isTTY),
    columns: Number(setting('COLUMNS')) > 0 ? Number(setting('COLUMNS')) : stream.isTTY ? stream.columns : undefined,
  };
}

export { humanBytes } from '../units.js';
