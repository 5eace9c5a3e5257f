/**
 * Errors reach the user here and only here: a known error prints `error [CODE]: message` and its
 * hint, no stack unless --debug; an unknown one prints the stack and asks for a bug report.
 */
import { isGitreproError, redactText } from '../errors.js';
import { VERSION } from '../version.js';

export function reportError(e: unknown, debug: boolean, write: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): number {
  if (isGitreproError(e)) {
    write(`error [${e.code}]: ${redactText(e.message)}`);
    if (e.hint) write(`hint: ${redactText(e.hint)}`);
    if (debug) write(redactText(e.stack ?? ''));
    return e.exitCode;
  }
  const err = e as Error;
  write(`error: ${redactText(err?.message ?? String(e))}`);
  write(redactText(err?.stack ?? ''));
  write(`This is a bug in gitrepro ${VERSION} (node ${process.version}, ${process.platform}); please report it with the output above.`);
  return 70;
}
