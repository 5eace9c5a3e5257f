import { track } from '../../ops/track.js';
import type { TrackResult } from '../../ops/track.js';
import type { Output } from '../output.js';
import type { CommandSpec } from '../spec.js';

export function printTrack(r: TrackResult, json: boolean, out: Output): number {
  if (json) {
    out.json(r);
    return 0;
  }
  for (const w of r.warnings ?? []) out.err(`gitrepro: warning: ${w}`);
  for (const p of r.added) out.line(`tracking ${p}`);
  for (const p of r.removed) out.line(`no longer tracking ${p}`);
  out.line(`patterns: ${r.patterns.join(' ') || '(none)'}`);
  if (r.inGit.length) {
    out.err(`gitrepro: ${r.inGit.length} matching file(s) are committed to git (${r.inGit.slice(0, 3).join(', ')}${r.inGit.length > 3 ? ', ...' : ''}); move them out of git with: git rm --cached -- <path>, then gitrepro add`);
  }
  return 0;
}

export const spec: CommandSpec<{ patterns: string[] }> = {
  command: 'track <patterns..>',
  summary: 'track data paths (gitignore patterns) in the store',
  description: 'Adds patterns (gitignore syntax) to `track:` in gitrepro.yaml and mirrors them into a managed block of .gitignore, so the data never enters git. Run `gitrepro add` (or commit) to store the data.',
  positionals: { patterns: { describe: 'gitignore-syntax patterns', type: 'string', array: true } },
  examples: [
    ['gitrepro track data/', 'track everything under data/'],
    ["gitrepro track '*.parquet' models/", 'track every parquet file and models/'],
  ],
  async run(args, out) {
    return printTrack(await track({ cwd: args.cwd, patterns: args.patterns }), args.json, out);
  },
};
