/** yargs wiring: the invoked command's module is loaded; the others appear by summary only. */
import yargs, { type Argv } from 'yargs';
import { GitreproError } from '../errors.js';
import { VERSION } from '../version.js';
import { makeOutput } from './output.js';
import { COMMANDS } from './registry.js';
import type { CommandSpec } from './spec.js';

function register(y: Argv, spec: CommandSpec<any>): Argv {
  return y.command(
    spec.command,
    spec.description ? `${spec.summary}\n\n${spec.description}` : spec.summary,
    (b) => {
      for (const [name, p] of Object.entries(spec.positionals ?? {})) b.positional(name, p);
      if (spec.options) b.options(spec.options);
      for (const [cmd, what] of spec.examples) b.example(cmd, what);
      return b;
    },
    async (args) => {
      const code = await spec.run({ ...(args as any), cwd: process.cwd(), json: Boolean(args.json) }, makeOutput());
      process.exitCode = code;
    },
  );
}

export async function runCli(argv: string[]): Promise<number> {
  let y: Argv<any> = yargs(argv)
    .scriptName('gitrepro')
    .usage('gitrepro <command> [options]\n\nMakes every git commit of a data/ML project reproducible: data, params and environment.')
    .option('json', { type: 'boolean', describe: 'machine-readable output', global: true })
    .option('debug', { type: 'boolean', describe: 'show stack traces on errors', global: true })
    .parserConfiguration({ 'populate--': true })
    .strict()
    .demandCommand(1, 'name a command (gitrepro --help lists them)')
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new GitreproError('GITREPRO_USAGE', msg, { hint: 'see `gitrepro --help`' });
    });
  const name = argv.find((a) => !a.startsWith('-'));
  for (const [cmd, c] of Object.entries(COMMANDS)) {
    if (cmd === name) y = register(y, (await c.load()).spec);
    else y = y.command(cmd, c.summary, () => {}, () => {});
  }
  process.exitCode = 0;
  await y.parseAsync();
  return Number(process.exitCode ?? 0);
}
