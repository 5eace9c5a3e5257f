#!/usr/bin/env node
// Benchmark driver for workload W1 (../shared/bench/w1.py): gitrepro against git-lfs, plain git,
// `cp -r` and node sha256, all in one run on the same data. See bench/README.md.
//
// Figures: (a) first recording of W1 (add + commit), (b) no-op commit (a small code change),
// (c) 10 data files changed (add + commit), (d) checkout between c1 and c2 (10 files differ).
// Timed with hyperfine where a command repeats; single long runs (a) with a wall clock.
// Instrumented extra runs (GIT_TRACE2_EVENT, node --cpu-prof) give the breakdown; they are
// never part of the figures. The machinery is in bench/lib/harness.mjs, the steps in
// bench/lib/steps.mjs (shared with W2, bench/w2.mjs).
import path from 'node:path';
import { BENCH, MAIN, commonConfig, createHarness, num } from './lib/harness.mjs';
import { createSteps } from './lib/steps.mjs';

const E = process.env;
const common = commonConfig();
const cfg = { root: common.root, w1py: E.W1_PY || path.resolve(MAIN, '../shared/bench/w1.py'), ...common };
const scale = { small: num('W1_SMALL_N', 10000), smallKiB: num('W1_SMALL_KIB', 16), bigMiB: num('W1_BIG_MIB', 256) };
const full = scale.small === 10000 && scale.smallKiB === 16 && scale.bigMiB === 256;
const H = createHarness({ name: 'w1', cfg });
const { log, hyperfine, results, sh, warm, stamp, W } = H;

H.setup({
  header: `W1 benchmark ${stamp}: scale ${JSON.stringify(scale)}${full ? ' (full W1)' : ' (SMOKE scale)'}; work dir ${W}; log ${H.LOG}`,
  envExtra: { W1_PY: cfg.w1py },
  genEnv: { W1_SMALL_N: String(scale.small), W1_SMALL_KIB: String(scale.smallKiB), W1_BIG_MIB: String(scale.bigMiB) },
  meta: { scale, full, fsmonitor: cfg.fsmonitor },
});

const SRC = path.join(W, 'src');
log('generating W1 ...');
log('  ' + sh(`python3 ${cfg.w1py} gen ${SRC}`).trim());
const MAN1 = path.join(SRC, 'manifest.c1');
const MAN2 = path.join(SRC, 'manifest.c2');
sh('sync');

// ---------------------------------------------------------------- baselines
log('baselines');
warm(SRC, 'data');
hyperfine('base.sha256_1thread', { cwd: SRC, cmd: `node ${BENCH}/sha256.mjs data --threads 1`, runs: 5, warmup: 1 });
hyperfine('base.sha256_2threads', { cwd: SRC, cmd: `node ${BENCH}/sha256.mjs data --threads 2`, runs: 5, warmup: 1 });
hyperfine('base.node_start', { cwd: SRC, cmd: 'node -e 0', runs: 20, warmup: 3 });
hyperfine('base.gitrepro_version', { cwd: SRC, cmd: 'gitrepro --version', runs: 20, warmup: 3 });

// ---------------------------------------------------------------- (a)-(d)
const WL = {
  SRC, man1: MAN1, man2: MAN2, dataLabel: 'W1', entries: '10,100', modLabel: 'w1.py mod',
  verify: (man) => `python3 ${cfg.w1py} verify . ${man}`,
  variant: (k) => `python3 ${BENCH}/lib/variant.py ${cfg.w1py} . ${k}`,
};
const steps = createSteps(H, WL, {
  fsmonitor: cfg.fsmonitor,
  tools: ['gitrepro', ...(cfg.lfs ? ['lfs'] : [])], plain: cfg.plain, anchored: true, prof: true, extrasB: true,
  pattern: cfg.pattern, roundsA: cfg.roundsA, extraRoundsA: cfg.extraRoundsA, runs: cfg.runs, runsC: cfg.runsC, runsD: cfg.runsD,
});
steps.stepA();
steps.stepB();
steps.stepC();
steps.stepD();

// ---------------------------------------------------------------- ratios, output, clean-up
const F = results.figures;
const T = { 'b': 0.056, 'c': 0.136, 'd': 0.10 };
const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
results.summary = {
  a: { gitrepro: F['a.gitrepro'].median, lfs: F['a.lfs']?.median, cp: F['base.cp_r'].median, target: Math.round(1.2 * F['base.cp_r'].median * 1000) / 1000, vsLfs: ratio(F['a.gitrepro'].median, F['a.lfs']?.median), vsCp: ratio(F['a.gitrepro'].median, F['base.cp_r'].median), vsTarget: ratio(F['a.gitrepro'].median, 1.2 * F['base.cp_r'].median), lfsOverGitrepro: ratio(F['a.lfs']?.median, F['a.gitrepro'].median) },
};
for (const k of ['b', 'c', 'd']) {
  results.summary[k] = { gitrepro: F[`${k}.gitrepro`].median, lfs: F[`${k}.lfs`]?.median, plain: F[`${k}.plain`]?.median, target: T[k], vsLfs: ratio(F[`${k}.gitrepro`].median, F[`${k}.lfs`]?.median), vsTarget: ratio(F[`${k}.gitrepro`].median, T[k]) };
}
results.summary.bAnchored = { gitrepro: F['b.gitrepro_anchored'].median, vsLfs: ratio(F['b.gitrepro_anchored'].median, F['b.lfs']?.median), vsTarget: ratio(F['b.gitrepro_anchored'].median, T.b) };
log('summary ' + JSON.stringify(results.summary));
H.writeResults(`w1-${full ? 'full' : 'smoke'}-${stamp}.json`);

steps.waitAll();
H.cleanUp();
