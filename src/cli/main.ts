/**
 * CLI entry. `gitrepro hook <name>` is dispatched before yargs loads: hooks run on every commit
 * and checkout, and only the handler's modules are parsed. Every other command goes through
 * yargs with only its own module loaded (the registry imports commands lazily).
 */
import { reportError } from './errors.js';
import { trace } from '../trace.js';
import { endOnSignals } from '../shutdown.js';

/**
 * Libraries' process warnings (the AWS SDK's Node version notice, deprecations) are for
 * developers, not for the user's terminal in the middle of a commit: shown only with --debug.
 */
function quietWarnings(debug: boolean): void {
  process.removeAllListeners('warning');
  if (debug) process.on('warning', (w) => process.stderr.write(`gitrepro: (debug) ${w.name}: ${w.message}\n`));
  else process.on('warning', () => {});
}

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  quietWarnings(debug);
  endOnSignals();
  trace('started');
  try {
    if (argv[0] === 'hook') {
      const { runHook } = await import('./hook.js');
      return await runHook(argv.slice(1).filter((a) => a !== '--debug'));
    }
    if (argv[0] === 'merge-driver') {
      const { runMergeDriver } = await import('./mergedriver.js');
      return await runMergeDriver(argv.slice(1));
    }
    if (argv[0] === 'add' && argv.slice(1).every((a) => a === '--json' || !a.startsWith('-'))) {
      // `gitrepro add [paths] [--json]` is part of the commit loop: skip yargs (~33 ms to load)
      const [{ spec }, { makeOutput }] = await Promise.all([import('./commands/add.js'), import('./output.js')]);
      const paths = argv.slice(1).filter((a) => a !== '--json');
      return await spec.run({ cwd: process.cwd(), json: argv.includes('--json'), paths, _: [] }, makeOutput());
    }
    const { runCli } = await import('./yargs.js');
    return await runCli(argv);
  } catch (e) {
    return reportError(e, debug);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    trace('done');
  },
  (e) => {
    process.exitCode = reportError(e, true);
  },
);
