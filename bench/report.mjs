#!/usr/bin/env node
// Renders a bench/results/*.json of bench/w1.mjs or bench/w2.mjs as markdown tables (stdout).
//   node bench/report.mjs bench/results/w1-full-<stamp>.json
//   node bench/report.mjs bench/results/w2-full-<stamp>.json     (also 1m-…json)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderW2 } from './lib/report-w2.mjs';
import { cellOf, hookTable, phaseLine, ratio, s } from './lib/report-util.mjs';

const R = JSON.parse(readFileSync(process.argv[2], 'utf8'));
if (R.meta.workload) {
  console.log(renderW2(R, path.dirname(path.resolve(process.argv[2]))));
  process.exit(0);
}
const F = R.figures;
const cell = cellOf(F);
const med = (k) => F[k]?.median;
const out = [];
const p = (x = '') => out.push(x);

const m = R.meta;
p(`Run ${m.stamp}: ${m.full ? 'full W1' : `SMOKE scale ${JSON.stringify(m.scale)}`}; ${m.git}, ${m.lfs.split(' ')[0]}, node ${m.node}, ${m.hyperfine}; ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB; gitrepro ${m.gitreproVersion} @ ${m.gitreproCommit.slice(0, 12)}${m.gitreproDirty ? ' + uncommitted changes' : ''}.`);
p();
p('Median wall seconds (min–max, runs; "other load": CPU cores other users of the machine kept busy during the measurement, of 2). Ratios use medians; "target" is the issue\'s bound.');
p();
p('| figure | gitrepro | git-lfs | plain git | target | gitrepro ÷ git-lfs | gitrepro ÷ target |');
p('|---|---|---|---|---|---|---|');
const tA = 1.2 * med('base.cp_r');
p(`| (a) first recording: add + commit | ${cell('a.gitrepro')} | ${cell('a.lfs')} | ${cell('a.plain')} | ≤ ${s(tA)} (1.2 × cp -r) and ≤ ${s(med('a.lfs') / 2)} (½ git-lfs) | ${ratio(med('a.gitrepro'), med('a.lfs'))} | ${ratio(med('a.gitrepro'), tA)} |`);
p(`| (b) no-op commit | ${cell('b.gitrepro')} | ${cell('b.lfs')} | ${cell('b.plain')} | ≤ 0.056 | ${ratio(med('b.gitrepro'), med('b.lfs'))} | ${ratio(med('b.gitrepro'), 0.056)} |`);
p(`| (b′) no-op commit, anchored pattern \`/data/\` | ${cell('b.gitrepro_anchored')} | | | ≤ 0.056 | ${ratio(med('b.gitrepro_anchored'), med('b.lfs'))} | ${ratio(med('b.gitrepro_anchored'), 0.056)} |`);
p(`| (c) 10 files changed: add + commit | ${cell('c.gitrepro')} | ${cell('c.lfs')} | ${cell('c.plain')} | ≤ 0.136 | ${ratio(med('c.gitrepro'), med('c.lfs'))} | ${ratio(med('c.gitrepro'), 0.136)} |`);
p(`| (c′) 10 files changed, anchored pattern \`/data/\` | ${cell('c.gitrepro_anchored')} | | | ≤ 0.136 | ${ratio(med('c.gitrepro_anchored'), med('c.lfs'))} | ${ratio(med('c.gitrepro_anchored'), 0.136)} |`);
p(`| (d) checkout c1 ↔ c2 (both directions) | ${cell('d.gitrepro')} | ${cell('d.lfs')} | ${cell('d.plain')} | ≤ 0.10 | ${ratio(med('d.gitrepro'), med('d.lfs'))} | ${ratio(med('d.gitrepro'), 0.1)} |`);
p(`| (d) c2 → c1 | ${cell('d.gitrepro.c2_to_c1')} | ${cell('d.lfs.c2_to_c1')} | ${cell('d.plain.c2_to_c1')} | ≤ 0.10 | ${ratio(med('d.gitrepro.c2_to_c1'), med('d.lfs.c2_to_c1'))} | ${ratio(med('d.gitrepro.c2_to_c1'), 0.1)} |`);
p(`| (d) c1 → c2 | ${cell('d.gitrepro.c1_to_c2')} | ${cell('d.lfs.c1_to_c2')} | ${cell('d.plain.c1_to_c2')} | ≤ 0.10 | ${ratio(med('d.gitrepro.c1_to_c2'), med('d.lfs.c1_to_c2'))} | ${ratio(med('d.gitrepro.c1_to_c2'), 0.1)} |`);
p();
p(`(a) against \`cp -r\`: gitrepro ${ratio(med('a.gitrepro'), med('base.cp_r'))} of cp -r; git-lfs takes ${ratio(med('a.lfs'), med('a.gitrepro'))} gitrepro's time.`);
p();
p('Baselines and parts, same run:');
p();
p('| measurement | median (min–max, n) |');
p('|---|---|');
const rows = [
  ['`cp -r` of data/ (no sync)', 'base.cp_r'],
  ['`sync` right after that cp -r', 'base.sync_after_cp'],
  ['node sha256 of W1, 1 MiB reads, 1 thread', 'base.sha256_1thread'],
  ['node sha256 of W1, 2 threads', 'base.sha256_2threads'],
  ['`node -e 0`', 'base.node_start'],
  ['`gitrepro --version`', 'base.gitrepro_version'],
  ['`gitrepro hook post-checkout 0 0 0` (node floor of a hook)', 'b.gitrepro.hook_floor'],
  ['pre-commit change check `gr_changed` (find -cnewer), pattern `data/` (root `.`: stops at the first change it sees)', 'b.gitrepro.find_cnewer'],
  ['the same check, pattern `/data/`, nothing changed (walks all 10,100 entries)', 'b.gitrepro_anchored.find_cnewer'],
  ['(a) gitrepro: `gitrepro add`', 'a.gitrepro.add'],
  ['(a) gitrepro: `git commit`', 'a.gitrepro.commit'],
  ['(a) gitrepro: detached flusher, after commit returned', 'a.gitrepro.flusher_after'],
  ['(a) gitrepro, anchored pattern `/data/`', 'a.gitrepro_anchored'],
  ['(a) git-lfs: `git add data`', 'a.lfs.add'],
  ['(a) git-lfs: `git commit`', 'a.lfs.commit'],
  ['(b) gitrepro, detached flusher after commit returned', 'b.gitrepro.flusher_after'],
  ['(b) gitrepro, `GITREPRO_SYNC_RECORDS=1` (record written before git returns)', 'b.gitrepro.sync_records'],
  ['(b) gitrepro repo, `GITREPRO_SKIP=1` (shims start, exit)', 'b.gitrepro.skip'],
  ['(b) gitrepro repo, hooks off (`-c core.hooksPath=/dev/null`)', 'b.gitrepro.no_hooks'],
];
for (const [label, k] of rows) if (F[k]) p(`| ${label} | ${cell(k)} |`);
p();

const B = R.breakdown ?? {};
p('Breakdown (GIT_TRACE2_EVENT on extra runs, ms; medians over the runs): each hook\'s wall time and the time of the git processes it ran.');
for (const [title, list] of [['(a) git commit after `gitrepro add`', B.a?.commit], ['(b) no-op commit, `data/`', B['b.gitrepro']], ['(b′) no-op commit, `/data/`', B['b.gitrepro_anchored']], ['(b) no-op commit, git-lfs', B['b.lfs']], ['(c) git commit after `gitrepro add`', B.c?.commit], ['(d) checkout, gitrepro', B.d?.checkout], ['(d) checkout, git-lfs', B['d.lfs']]]) {
  if (list) hookTable(p, title, list);
}
if (B.a?.addChildren?.length) {
  p();
  p(`(a) processes \`gitrepro add\` ran (strace execve; start ms, wall ms): ${B.a.addChildren.map((c) => `${c.prog} @${c.atMs} ${c.ms}`).join('; ')}.`);
}
if (B.a?.addGit) {
  p();
  p(`(a) \`gitrepro add\` ${s(B.a.addS)} s: git calls ${B.a.addGit.n}, ${B.a.addGit.gitMs} ms (${Object.entries(B.a.addGit.bySub).map(([k, x]) => `${k} ${x.ms}`).join(', ')}).`);
}
if (B.c?.addGit) {
  p(`(c) \`gitrepro add\` median ${s(B.c.addS.median)} s, \`git commit\` median ${s(B.c.commitS.median)} s; add's git calls: ${B.c.addGit.map((g) => `${g.n} calls ${g.gitMs} ms`).join('; ')}.`);
}
p();
p('GITREPRO_TRACE=1 phases (ms since the CLI module started; one run each, all node processes of the command in order):');
p();
for (const [title, lines] of [['(a) gitrepro add', B.a?.addTrace], ['(a) git commit', B.a?.commitTrace], ['(b) no-op commit, data/', B['b.gitrepro.gitreproTrace']?.at(-1)], ['(b′) no-op commit, /data/', B['b.gitrepro_anchored.gitreproTrace']?.at(-1)], ['(c) gitrepro add', B.c?.addTrace?.at(-1)], ['(c) git commit', B.c?.commitTrace?.at(-1)], ['(d) checkout', B.d?.gitreproTrace?.at(-1)]]) {
  if (lines) p(`- ${title}: ${phaseLine(lines)}`);
}
for (const [title, profs] of [['(a)', B.a?.cpuProfiles], ['(b)', B['b.gitrepro.cpuProfiles']], ['(c)', B.c?.cpuProfiles], ['(d)', B.d?.cpuProfiles]]) {
  if (!profs?.length) continue;
  p();
  p(`CPU profiles ${title} (node --cpu-prof; one per node process, in start order):`);
  p();
  for (const x of profs) p(`- ${x.file}: span ${x.spanMs} ms, busy ${x.busyMs} (GC ${x.gcMs}), idle ${x.idleMs}; top: ${x.top.slice(0, 6).map((t) => `${t.fn} ${t.ms}`).join('; ')}`);
}
if (R.quiet?.some((q) => q.busyPct > (R.meta.cfg.quietPct ?? 20))) {
  p();
  p(`Machine busy before: ${R.quiet.filter((q) => q.busyPct > R.meta.cfg.quietPct).map((q) => `${q.label} ${q.busyPct}%`).join(', ')}`);
}
console.log(out.join('\n'));
