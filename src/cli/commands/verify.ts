import { verify, type CheckName, type VerifyResult } from '../../ops/verify.js';
import type { Output } from '../output.js';
import type { CommandSpec } from '../spec.js';

const COLUMNS: [CheckName, string][] = [['lock', 'lock'], ['record', 'record'], ['agree', 'agree'], ['snapshot', 'snapshot'], ['objects', 'objects'], ['params', 'params'], ['env', 'env']];

function render(r: VerifyResult, out: Output): void {
  const sym = { pass: out.color.green('✓'), fail: out.color.red('✗'), warn: out.color.yellow('!'), skip: out.color.dim('-') };
  out.line(`verify ${r.range}: ${r.commits.length} commit(s), objects checked on the ${r.where}${r.deep ? ' (re-hashed)' : ''}`);
  out.line(`  ${'commit'.padEnd(12)}  ${COLUMNS.map(([, h]) => h).join('  ')}  subject`);
  for (const v of r.commits) {
    const cells = COLUMNS.map(([n, h]) => {
      const c = v.checks.find((x) => x.name === n);
      return (c ? sym[c.status] : sym.skip) + ' '.repeat(h.length - 1);
    });
    out.line(`${v.ok ? sym.pass : sym.fail} ${v.commit.slice(0, 12)}  ${cells.join('  ')}  ${v.subject.slice(0, 50)}`);
    for (const c of v.checks.filter((x) => x.status === 'fail' || x.status === 'warn')) {
      out.line(`    ${sym[c.status]} ${c.name}: ${c.message}`);
      if (c.fix) out.line(`      fix: ${c.fix}`);
    }
  }
  if (r.rerun) renderRerun(r.rerun, out, sym);
  const tip = r.commits[0];
  const imp = tip?.envDiff.filter((e) => e.important) ?? [];
  if (imp.length) {
    out.line(`environment now vs the record of ${tip.commit.slice(0, 12)} (differences that matter for reproducibility):`);
    for (const e of imp.slice(0, 20)) out.line(`  * ${e.field}: ${JSON.stringify(e.before)} -> ${JSON.stringify(e.after)}`);
  }
  out.line(r.ok ? out.color.green('verify: all checks passed') : out.color.red('verify: some checks failed'));
}

function renderRerun(rep: NonNullable<VerifyResult['rerun']>, out: Output, sym: Record<string, string>): void {
  out.line(`rerun (${rep.repeat} time(s) each, in a temporary worktree):`);
  for (const c of rep.commits) {
    if (c.status === 'error') out.line(`  ${sym.fail} ${c.commit.slice(0, 12)}: ${c.error?.message ?? 'error'}${c.error?.hint ? ` (${c.error.hint})` : ''}`);
    else if (c.status === 'no-runs') out.line(`  ${sym.skip} ${c.commit.slice(0, 12)}: no recorded runs`);
    for (const run of c.runs) {
      const ok = run.verdict === 'identical';
      out.line(`  ${ok ? sym.pass : sym.fail} ${c.commit.slice(0, 12)} ${run.stage}: ${run.verdict}`);
      for (const o of run.outputs.filter((x) => x.verdict !== 'identical')) {
        out.line(`      ${o.path}: ${o.verdict} (recorded ${o.recorded.slice(0, 12)}, got ${o.obtained.map((h) => (h ? h.slice(0, 12) : 'nothing')).join(', ')})`);
      }
      const imp = run.env.filter((e) => e.important);
      if (!ok && imp.length) {
        out.line('      environment differences that may explain it:');
        for (const e of imp.slice(0, 10)) out.line(`        * ${e.field}: ${JSON.stringify(e.before)} -> ${JSON.stringify(e.after)}`);
      }
    }
    for (const sk of c.skipped) out.line(`  ${sym.skip} ${c.commit.slice(0, 12)} ${sk.stage}: not rerun (${sk.why})`);
  }
}

export const spec: CommandSpec<{ range?: string; base?: string; remote?: string; deep?: boolean; local?: boolean; rerun?: boolean; repeat?: number; stage?: string; 'trust-records'?: boolean }> = {
  command: 'verify [range]',
  summary: 'check that every commit of a range can be reproduced by anyone',
  description:
    'For each commit (default: HEAD\'s commits not on its upstream or the default branch; a single <rev> checks that commit; A..B a range): lock and record present, valid and in agreement; snapshot readable; every object on the store remote (--local: in the local store; --deep: downloaded and re-hashed); params in the record equal the committed params files; environment differences from now (those that matter are marked). With --rerun, the recorded pipeline runs of each commit are re-executed in a temporary worktree (your work tree is untouched) and every output is reported identical, different or nondeterministic (repeats differ), with the environment differences that may explain it. Exit 0 when every check passes, 1 when one fails, 2 on a usage or environment error. Security: without --rerun, verify runs no code of the repository (safe in CI on a pull request from a fork, where the store remote is contacted only as the base branch defines it); --rerun executes the stage commands of each commit\'s gitrepro.yaml by design, so use it on commits you trust.',
  positionals: { range: { describe: 'commit or A..B range', type: 'string' } },
  options: {
    base: { type: 'string', describe: 'verify the commits of HEAD not on this revision' },
    remote: { type: 'string', describe: 'store remote to check (default: the default remote)' },
    local: { type: 'boolean', describe: 'check the local store instead of a remote' },
    deep: { type: 'boolean', describe: 'download (or read) and re-hash every object' },
    rerun: { type: 'boolean', describe: 're-execute the recorded runs in a temporary worktree and compare outputs' },
    repeat: { type: 'number', default: 1, describe: 'with --rerun: run each stage N times (differing repeats: nondeterministic)' },
    stage: { type: 'string', describe: 'with --rerun: only this stage' },
    'trust-records': { type: 'boolean', describe: 'with --rerun: also run commands that only the records (not gitrepro.yaml) name' },
  },
  examples: [
    ['gitrepro verify', 'the commits this branch adds, against the default store remote'],
    ['gitrepro verify --base origin/main --deep', 'in CI before a merge, re-hashing every object'],
    ['gitrepro verify HEAD~20..HEAD --json', 'one object per commit and check, for scripts'],
    ['gitrepro verify HEAD --rerun --repeat 2 --local', 'prove HEAD reproduces: rerun its pipeline twice'],
  ],
  async run(args, out) {
    const rerun = args.rerun
      ? { repeat: Math.max(1, Math.floor(args.repeat ?? 1)), stage: args.stage, trustRecords: args['trust-records'], io: (chunk: Buffer) => process.stderr.write(chunk) }
      : undefined;
    const r = await verify({ cwd: args.cwd, range: args.range, base: args.base, remote: args.remote, local: args.local, deep: args.deep, rerun });
    if (args.json) out.json(r);
    else render(r, out);
    return r.ok ? 0 : 1;
  },
};
