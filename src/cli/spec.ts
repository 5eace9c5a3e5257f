/** The declarative shape of a command module (src/cli/commands/<name>.ts). */
import type { Options } from 'yargs';
import type { Output } from './output.js';

export interface CommandSpec<A = Record<string, unknown>> {
  /** yargs command string, e.g. 'restore [rev]' */
  command: string;
  summary: string;
  /** longer description shown by --help */
  description?: string;
  options?: Record<string, Options>;
  positionals?: Record<string, { describe: string; type?: 'string' | 'number'; array?: boolean }>;
  examples: [string, string][];
  /** returns the exit code */
  run(args: A & { cwd: string; json: boolean; _: (string | number)[]; '--'?: string[] }, out: Output): Promise<number>;
}
