#!/usr/bin/env node
// Benchmark driver for workload W2 (../shared/bench/w2.py: 100,000 files of 4 KiB in 1,000
// directories) and the 1M scaling row (bench/lib/gen-many.py: 1,000,000 files of 1 KiB in 1,000
// directories): gitrepro against git-lfs (when installed) and `cp -r`, in one run on the same data.
//   node bench/w2.mjs w2     W2: (a)-(d) as W1, plus (e) push to an empty directory remote and
//                            (f) clone + restore from it; BENCH_1M=1 adds the 1M row to the run
//   node bench/w2.mjs 1m     the 1M row alone: (a) once (it makes the repos), (b)-(d)
// See bench/README.md. The machinery is bench/lib/harness.mjs, steps (a)-(d) bench/lib/steps.mjs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { growthOf, latestResults } from './lib/growth.mjs';
import { BENCH, MAIN, commonConfig, createHarness, num } from './lib/harness.mjs';
import { createSteps } from './lib/steps.mjs';
import { parseStraceSummary } from './lib/strace.mjs';
import { gitCallsUnder, parseTrace2 } from './lib/trace2.mjs';

const E = process.env;
const mode = (process.argv[2] || 'w2').toLowerCase();
if (mode !== 'w2' && mode !== '1m') {
  console.error('usage: node bench/w2.mjs [w2|1m]   (npm run bench -- w2 | npm run bench -- 1m)');
  process.exit(2);
}
const smoke = num('BENCH_SMOKE', 0) === 1;
// BENCH_SMOKE=1: small defaults for every knob (each can still be set), a run of a few minutes
const SD = smoke ? { BENCH_ROUNDS_A: 1, BENCH_EXTRA_ROUNDS_A: 1, BENCH_RUNS: 5, BENCH_RUNS_C: 3, BENCH_RUNS_D: 3, BENCH_WAIT_AFTER_DELETE: 0, BENCH_QUIET_WAIT: 10, BENCH_RETRIES: 2 } : {};
const sm = (k, full, small) => num(k, smoke ? small : full);
const cfg = {
  w2py: E.W2_PY || path.resolve(MAIN, '../shared/bench/w2.py'),
  manyPy: path.join(BENCH, 'lib', 'gen-many.py'),
  ...commonConfig({ BENCH_PLAIN: 0, ...SD }),
  smoke,
  runsE: sm('BENCH_RUNS_E', 3, 2),
  runsF: sm('BENCH_RUNS_F', 3, 2),
  shm: num('BENCH_SHM', 1) === 1,
  prof: num('BENCH_PROF', 0) === 1,
  strace: num('BENCH_STRACE', 1) === 1,
  w2: mode === 'w2',
  with1m: mode === '1m' || num('BENCH_1M', 0) === 1,
  runs1m: sm('BENCH_1M_RUNS', 10, 5),
  runsC1m: sm('BENCH_1M_RUNS_C', 5, 3),
  runsD1m: sm('BENCH_1M_RUNS_D', 5, 3),
  lfs1m: num('BENCH_1M_LFS', 1) === 1,
  lfs1mMaxS: num('BENCH_1M_LFS_MAX_S', 1200),
  verify1m: E.BENCH_1M_VERIFY_EACH || 'quick',
  warm1m: E.BENCH_1M_WARM || 'meta',
  spaceCheck: num('BENCH_SPACE_CHECK', 1) === 1,
};
const w2Scale = { dirs: sm('W2_DIRS', 1000, 20), perDir: num('W2_PER_DIR', 100), kib: num('W2_KIB', 4) };
w2Scale.files = w2Scale.dirs * w2Scale.perDir;
const mScale = { dirs: sm('MANY_DIRS', 1000, 4), perDir: num('MANY_PER_DIR', 1000), kib: num('MANY_KIB', 1) };
mScale.files = mScale.dirs * mScale.perDir;
const w2Full = w2Scale.dirs === 1000 && w2Scale.perDir === 100 && w2Scale.kib === 4;
const mFull = mScale.dirs === 1000 && mScale.perDir === 1000 && mScale.kib === 1;
const full = (!cfg.w2 || w2Full) && (!cfg.with1m || mFull);

const lfsInstalled = spawnSync('git', ['lfs', 'version'], { stdio: 'ignore' }).status === 0;
const notes = [];
if (cfg.lfs && !lfsInstalled) notes.push('git-lfs is not installed (`git lfs version` failed): its column is skipped');
cfg.lfs = cfg.lfs && lfsInstalled;

const H = createHarness({ name: mode, cfg });
const { log, sh, check, hyperfine, fig, results, stamp, W, timed, traced, warm } = H;
const X = path.join(W, 'xfer');
const fmtFiles = (n) => n.toLocaleString('en-US');

// ---------------------------------------------------------------- space
const blk = (kib) => Math.ceil(kib / 4) * 4096;
/** Disk bytes and inodes the run needs at most (every finished tree stays in the trash to the end). */
function spaceNeeded() {
  const nt = 1 + (cfg.lfs ? 1 : 0);
  let bytes = 0, inodes = 0;
  const storeDirs = (files) => 256 + Math.min(65536, files);
  if (cfg.w2) {
    const f = w2Scale.files;
    // per (a) round: gitrepro work tree + store; git-lfs work tree + lfs/objects + loose pointers
    const copies = 1 + cfg.roundsA * (2 + (cfg.lfs ? 3 : 0)) + cfg.runsE * 2 + (cfg.runsF + 2) * nt + (cfg.prof ? 2 : 0);
    const stores = cfg.roundsA * nt + (cfg.runsE + 2) + (cfg.lfs ? cfg.runsE : 0) + (cfg.runsF + 2) * nt;
    bytes += copies * f * blk(w2Scale.kib);
    inodes += copies * (f + w2Scale.dirs) + stores * storeDirs(f);
  }
  if (cfg.with1m) {
    const f = mScale.files;
    const copies = 1 + 2 + (cfg.lfs ? 3 : 0);
    bytes += copies * f * blk(mScale.kib);
    inodes += copies * (f + mScale.dirs) + nt * storeDirs(f);
  }
  return { bytes: Math.round(bytes * 1.1), inodes: Math.round(inodes * 1.1) };
}
function dfNow(dir) {
  const [availKiB, iavail] = sh(`df -k --output=avail,iavail ${dir} | tail -1`).trim().split(/\s+/).map(Number);
  return { availBytes: availKiB * 1024, availInodes: iavail };
}

// ---------------------------------------------------------------- set-up
const lfsFilter = cfg.lfs ? '[filter "lfs"]\n\tclean = git-lfs clean -- %f\n\tsmudge = git-lfs smudge -- %f\n\tprocess = git-lfs filter-process\n\trequired = true\n' : '';
const scaleText = [cfg.w2 ? `W2 ${fmtFiles(w2Scale.files)} × ${w2Scale.kib} KiB in ${w2Scale.dirs} dirs${w2Full ? '' : ' (SMOKE scale)'}` : '', cfg.with1m ? `1M row ${fmtFiles(mScale.files)} × ${mScale.kib} KiB in ${mScale.dirs} dirs${mFull ? '' : ' (SMOKE scale)'}` : ''].filter(Boolean).join('; ');
H.setup({
  header: `${mode.toUpperCase()} benchmark ${stamp}: ${scaleText}; work dir ${W}; log ${H.LOG}`,
  // a clone gets git-lfs's filter from the global config, as after a user's `git lfs install`
  gitconfigExtra: lfsFilter,
  envExtra: { W2_PY: cfg.w2py },
  genEnv: {
    W2_DIRS: String(w2Scale.dirs), W2_PER_DIR: String(w2Scale.perDir), W2_KIB: String(w2Scale.kib), W2_MOD_ROUNDS: '1',
    MANY_DIRS: String(mScale.dirs), MANY_PER_DIR: String(mScale.perDir), MANY_KIB: String(mScale.kib), MANY_MOD_ROUNDS: '1',
  },
  meta: { workload: mode, scale: { w2: cfg.w2 ? w2Scale : undefined, m1: cfg.with1m ? mScale : undefined }, full, smoke, fsmonitor: cfg.fsmonitor },
});
for (const n of notes) log(`  note: ${n}`);
results.notes = notes;
{
  const need = spaceNeeded();
  const have = dfNow(cfg.root);
  results.extra.space = { needEstimate: need, atStart: have };
  log(`  space: needs up to ~${(need.bytes / 2 ** 30).toFixed(1)} GiB and ~${fmtFiles(need.inodes)} inodes; ${(have.availBytes / 2 ** 30).toFixed(1)} GiB and ${fmtFiles(have.availInodes)} inodes free`);
  if (cfg.spaceCheck && (have.availBytes < need.bytes || have.availInodes < need.inodes)) {
    throw new Error(`not enough space in ${cfg.root} for this run (BENCH_SPACE_CHECK=0 runs anyway)`);
  }
}
mkdirSync(X, { recursive: true });
const tools = ['gitrepro', ...(cfg.lfs ? ['lfs'] : [])];

// ---------------------------------------------------------------- W2
let w2Steps;
if (cfg.w2) {
  const SRC = path.join(W, 'src');
  log('generating W2 ...');
  log('  ' + sh(`python3 ${cfg.w2py} gen ${SRC}`).trim());
  sh('sync');
  log('baselines');
  warm(SRC, 'data');
  hyperfine('base.sha256_1thread', { cwd: SRC, cmd: `node ${BENCH}/sha256.mjs data --threads 1`, runs: 3, warmup: 1 });
  hyperfine('base.sha256_2threads', { cwd: SRC, cmd: `node ${BENCH}/sha256.mjs data --threads 2`, runs: 3, warmup: 1 });
  hyperfine('base.node_start', { cwd: SRC, cmd: 'node -e 0', runs: 20, warmup: 3 });
  hyperfine('base.gitrepro_version', { cwd: SRC, cmd: 'gitrepro --version', runs: 20, warmup: 3 });

  const py = cfg.w2py;
  const WL = {
    SRC, man1: path.join(SRC, 'manifest.m0'), man2: path.join(SRC, 'manifest.m1'), dataLabel: 'W2',
    entries: fmtFiles(w2Scale.files + w2Scale.dirs), modLabel: 'w2.py mod . 1',
    verify: (man) => `python3 ${py} verify . ${man}`,
    // variants are w2.py's rounds >= 101 (hyperfine: 100 × attempt + n; traced: 1000 + i); round 1 is c2
    variant: (k) => `python3 ${py} mod . ${k}`,
    prepEnv: { BENCH_GEN: py, BENCH_VARIANT_CMD: `python3 ${py} mod .`, BENCH_MOD_LAST: `python3 ${py} mod . 1` },
  };
  w2Steps = createSteps(H, WL, {
    fsmonitor: cfg.fsmonitor,
    tools, plain: cfg.plain, anchored: false, prof: cfg.prof, extrasB: true, pattern: cfg.pattern,
    roundsA: cfg.roundsA, extraRoundsA: cfg.extraRoundsA, runs: cfg.runs, runsC: cfg.runsC, runsD: cfg.runsD,
    // the store remote of (e) and (f), committed in gitrepro.yaml as a team would (docs/remotes.md)
    gitreproInit: `gitrepro remote add store ${X}/gr-store --default >/dev/null`,
    deferGc: true,
  });
  w2Steps.stepA();
  w2Steps.stepB();
  w2Steps.stepC();
  w2Steps.stepD();
  transfers(w2Steps, WL);
}

// ---------------------------------------------------------------- (e) push, (f) clone + restore
function transfers(steps, WL) {
  const { main } = steps;
  const g = main.gitrepro;
  const l = main.lfs;
  const MAN = WL.man1;
  const SRC = WL.SRC;
  const xenv = { BENCH_TRASH: H.TRASH, BENCH_GEN: cfg.w2py, BENCH_MAN: MAN };
  const xp = (...a) => `bash ${BENCH}/lib/xfer.sh ${a.join(' ')}`;
  const checkStore = (what, objects) => check(what, `python3 ${BENCH}/lib/check-store.py ${objects} ${MAN}`, X);
  const checkTree = (what, dir) => check(what, `python3 ${cfg.w2py} verify ${dir} ${MAN}`, X);
  const strace = cfg.strace && sh('command -v strace', { ok: true }).trim() !== '';
  const straceRun = (key, cmd, cwd, env = {}) => {
    const out = path.join(W, 'trace', `${key}.strace-c`);
    mkdirSync(path.dirname(out), { recursive: true });
    const t = timed(`strace -f -c -o ${out} bash -c '${cmd}'`, { cwd, env });
    return { wallS: Math.round(t * 1000) / 1000, ...parseStraceSummary(out) };
  };
  log(`(e) push of c1 (${WL.dataLabel}) to an empty directory remote, ${cfg.runsE} runs; each result checked byte-exact (untimed)`);
  const CPD = path.join(X, 'cp');
  hyperfine('e.cp_r', { cwd: X, cmd: `cp -r ${SRC}/data ${CPD}/data`, prepare: xp('copy', SRC, CPD), runs: cfg.runsE, warmup: 0, env: xenv, note: '`cp -r` of data/ to the same filesystem, source warm, no sync' });
  checkTree('cp -r copy is byte-exact', CPD);
  hyperfine('e.cp_r_sync', { cwd: X, cmd: `cp -r ${SRC}/data ${CPD}/data && sync -f ${CPD}`, shellNone: false, prepare: xp('copy', SRC, CPD), runs: cfg.runsE, warmup: 0, env: xenv, note: '`cp -r` then `sync -f`: until the bytes are on disk' });
  checkTree('cp -r + sync copy is byte-exact', CPD);

  const STORE = path.join(X, 'gr-store');
  hyperfine('e.gitrepro', { cwd: g.dir, cmd: `gitrepro push store ${g.c1}`, prepare: xp('push-gitrepro', g.dir, STORE), runs: cfg.runsE, warmup: 0, env: xenv, note: '`gitrepro push store <c1>` to an empty directory remote on the same filesystem' });
  checkStore('gitrepro push: every object of c1 on the store remote, byte-exact', `${STORE}/objects`);
  {
    // where the time goes: phase marks + git calls (one traced run), syscalls (one strace -c run)
    const tf = path.join(W, 'trace', 'e.gitrepro.json');
    mkdirSync(path.dirname(tf), { recursive: true });
    sh(xp('push-gitrepro', g.dir, STORE), { env: xenv });
    const t0 = performance.now();
    const phases = traced(`gitrepro push store ${g.c1} > /dev/null`, { cwd: g.dir, env: { GIT_TRACE2_EVENT: tf, GIT_TRACE2_PARENT_SID: 'bench-e-push' } });
    const b = { wallS: Math.round((performance.now() - t0)) / 1000, gitreproTrace: phases, git: gitCallsUnder(parseTrace2(tf), 'bench-e-push') };
    if (strace) {
      sh(xp('push-gitrepro', g.dir, STORE), { env: xenv });
      b.strace = straceRun('e.gitrepro', `gitrepro push store ${g.c1} > /dev/null`, g.dir);
    }
    results.breakdown.e = b;
    checkStore('gitrepro push (breakdown runs): store byte-exact', `${STORE}/objects`);
  }
  const SHM = `/dev/shm/gitrepro-bench-${stamp}`;
  if (cfg.shm) {
    const shmFree = Number(sh('df -k --output=avail /dev/shm | tail -1', { ok: true }).trim()) * 1024;
    if (shmFree > 3 * w2Scale.files * blk(w2Scale.kib)) {
      // a store remote on another filesystem (tmpfs): every object copied and fsynced, not linked
      mkdirSync(SHM, { recursive: true });
      sh(`git config gitrepro.remote.shm.url ${SHM}/store`, { cwd: g.dir });
      hyperfine('e.gitrepro_shm', { cwd: g.dir, cmd: `gitrepro push shm ${g.c1}`, prepare: xp('push-gitrepro-shm', g.dir, `${SHM}/store`), runs: cfg.runsE, warmup: 0, env: xenv, note: 'remote on tmpfs (another filesystem): objects copied, not linked' });
      checkStore('gitrepro push to tmpfs: store byte-exact', `${SHM}/store/objects`);
      hyperfine('e.cp_r_shm', { cwd: X, cmd: `cp -r ${SRC}/data ${SHM}/cp/data`, prepare: xp('copy', SRC, `${SHM}/cp`), runs: cfg.runsE, warmup: 0, env: xenv, note: '`cp -r` of data/ to tmpfs' });
      checkTree('cp -r to tmpfs is byte-exact', `${SHM}/cp`);
      sh(`git config --remove-section gitrepro.remote.shm; rm -rf ${SHM}`, { cwd: g.dir });
    } else {
      log(`  (no push to tmpfs: /dev/shm has ${(shmFree / 2 ** 20).toFixed(0)} MiB free)`);
    }
  }
  // the records and c1 go to a bare repo, as `git push` does after the store push
  const GO = path.join(X, 'gr-origin.git');
  sh(`git init -q --bare ${GO} && git remote add origin ${GO}`, { cwd: g.dir });
  fig('e.gitrepro.git_push', [timed(`git push -q origin ${g.c1}:refs/heads/main`, { cwd: g.dir })], 'then `git push` of c1 and the records to an empty bare repo (pre-push: every object already on the store)');
  checkStore('gitrepro store still byte-exact after git push', `${STORE}/objects`);

  const LO = path.join(X, 'lfs-origin.git');
  if (l) {
    sh(`git remote add origin file://${LO}`, { cwd: l.dir });
    hyperfine('e.lfs', { cwd: l.dir, cmd: `git lfs push origin ${l.c1}`, prepare: xp('push-lfs', l.dir, LO), runs: cfg.runsE, warmup: 0, env: xenv, note: '`git lfs push origin <c1>` to an empty bare repo over file:// (git-lfs\'s standalone file transfer)' });
    checkStore('git-lfs push: every object of c1 in the remote\'s lfs/objects, byte-exact', `${LO}/lfs/objects`);
    fig('e.lfs.git_push', [timed(`git push -q origin ${l.c1}:refs/heads/main`, { cwd: l.dir })], 'then `git push` of c1 (pre-push: every object already there)');
  }

  log(`(f) clone + restore of c1 from those remotes, ${cfg.runsF} runs; each clone's work tree checked byte-exact (untimed)`);
  const GC = path.join(X, 'gr-clone');
  const grClone = `git clone -q ${GO} ${GC} && cd ${GC} && gitrepro install > /dev/null`;
  hyperfine('f.gitrepro', { cwd: X, cmd: grClone, shellNone: false, prepare: xp('clone', GC, `${STORE}/objects`, GO), runs: cfg.runsF, warmup: 0, env: xenv, note: '`git clone` + `gitrepro install` (the README\'s steps) until the work tree holds c1\'s data' });
  checkTree('gitrepro clone + install: work tree byte-exact', GC);
  {
    const tf = path.join(W, 'trace', 'f.gitrepro.json');
    sh(xp('clone', GC, `${STORE}/objects`, GO), { env: xenv });
    const t0 = performance.now();
    const phases = traced(grClone, { cwd: X, env: { GIT_TRACE2_EVENT: tf, GIT_TRACE2_PARENT_SID: 'bench-f-clone' } });
    const b = { wallS: Math.round((performance.now() - t0)) / 1000, gitreproTrace: phases, git: gitCallsUnder(parseTrace2(tf), 'bench-f-clone') };
    checkTree('gitrepro clone (traced run): work tree byte-exact', GC);
    if (strace) {
      sh(xp('clone', GC, `${STORE}/objects`, GO), { env: xenv });
      b.strace = straceRun('f.gitrepro', grClone, X);
      checkTree('gitrepro clone (strace run): work tree byte-exact', GC);
    }
    results.breakdown.f = b;
  }
  if (l) {
    const LC = path.join(X, 'lfs-clone');
    hyperfine('f.lfs', { cwd: X, cmd: `git clone -q file://${LO} ${LC}`, prepare: xp('clone', LC, LO), runs: cfg.runsF, warmup: 0, env: xenv, note: '`git clone` over file:// with git-lfs\'s filter (global config, as after `git lfs install`)' });
    checkTree('git-lfs clone: work tree byte-exact', LC);
  }
}

// ---------------------------------------------------------------- the 1M row
let mSteps;
const lfs1m = { planned: false };
if (cfg.with1m) {
  const SRC = path.join(W, '1m-src');
  log(`generating the 1M row (${fmtFiles(mScale.files)} files) ...`);
  log('  ' + sh(`python3 ${cfg.manyPy} gen ${SRC}`).trim());
  sh('sync');
  let m1Tools = ['gitrepro'];
  const aTimeoutMs = {};
  if (cfg.lfs && cfg.lfs1m) {
    // git-lfs's (a) grows with the file count: estimated from W2's before it is tried
    let per100k, from;
    const w2a = results.figures['a.lfs'];
    if (E.BENCH_1M_LFS_PER_100K_S) { per100k = Number(E.BENCH_1M_LFS_PER_100K_S); from = 'BENCH_1M_LFS_PER_100K_S'; }
    else if (w2a) { per100k = w2a.median / (w2Scale.files / 1e5); from = 'this run\'s W2 (a)'; }
    else {
      const prev = latestResults(path.join(BENCH, 'results'), 'w2', true);
      if (prev?.figures?.['a.lfs']) { per100k = prev.figures['a.lfs'].median / ((prev.meta.scale?.w2?.files ?? 1e5) / 1e5); from = path.basename(prev.file); }
      else { per100k = 46.7; from = 'issue 11 (git-lfs 46.7 s on W2)'; }
    }
    const est = per100k * mScale.files / 1e5;
    Object.assign(lfs1m, { per100kS: Math.round(per100k * 100) / 100, from, estimateS: Math.round(est), maxS: cfg.lfs1mMaxS });
    if (est <= cfg.lfs1mMaxS) {
      m1Tools.push('lfs');
      aTimeoutMs.lfs = Math.max(600, 3 * est) * 1000;
      lfs1m.planned = true;
      lfs1m.timeoutS = aTimeoutMs.lfs / 1000;
      log(`  git-lfs at 1M: (a) estimated ${Math.round(est)} s (${per100k.toFixed(1)} s per 100,000 files, from ${from}); included, abandoned after ${lfs1m.timeoutS} s`);
    } else {
      const n = `git-lfs left out of the 1M row: its (a) is estimated at ${Math.round(est)} s (${per100k.toFixed(1)} s per 100,000 files, from ${from}), over BENCH_1M_LFS_MAX_S=${cfg.lfs1mMaxS}`;
      notes.push(n);
      log(`  ${n}`);
    }
  }
  results.extra.lfs1m = lfs1m;
  const py = cfg.manyPy;
  const WL = {
    SRC, man1: path.join(SRC, 'manifest.m0'), man2: path.join(SRC, 'manifest.m1'), dataLabel: '1M',
    entries: fmtFiles(mScale.files + mScale.dirs), modLabel: 'gen-many.py mod . 1',
    verify: (man) => `python3 ${py} verify . ${man}`,
    variant: (k) => `python3 ${py} mod . ${k}`,
    prepEnv: { BENCH_GEN: py, BENCH_VARIANT_CMD: `python3 ${py} mod .`, BENCH_MOD_LAST: `python3 ${py} mod . 1`, BENCH_WARM: cfg.warm1m, BENCH_VERIFY_EACH: cfg.verify1m },
  };
  mSteps = createSteps(H, WL, {
    fsmonitor: cfg.fsmonitor,
    kp: '1m.', dirPrefix: '1m-', tools: m1Tools, plain: false, anchored: false, prof: false, extrasB: false, pattern: cfg.pattern,
    roundsA: 1, extraRoundsA: 0, runs: cfg.runs1m, runsC: cfg.runsC1m, runsD: cfg.runsD1m, aTimeoutMs, deferGc: true,
  });
  mSteps.stepA();
  if (mSteps.skipped.lfs) notes.push(`git-lfs left out of the 1M row: ${mSteps.skipped.lfs}`);
  mSteps.stepB();
  mSteps.stepC();
  mSteps.stepD();
}

// ---------------------------------------------------------------- summary, output, clean-up
const F = results.figures;
const med = (k) => F[k]?.median;
const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
const row = (k, bound, boundLabel) => {
  const gr = med(`${k}.gitrepro`);
  return { gitrepro: gr, lfs: med(`${k}.lfs`) ?? null, target: bound ?? null, targetLabel: boundLabel, vsLfs: ratio(gr, med(`${k}.lfs`)), vsTarget: ratio(gr, bound), met: gr && bound ? gr <= bound : null };
};
results.summary = {};
if (cfg.w2) {
  const cp = med('base.cp_r'), cpx = med('e.cp_r');
  results.summary.a = { ...row('a', cp && 1.1 * cp, '1.1 × cp -r'), cp, vsCp: ratio(med('a.gitrepro'), cp) };
  for (const k of ['b', 'c', 'd']) results.summary[k] = row(k, med(`${k}.lfs`), 'git-lfs');
  results.summary.push = { ...row('e', cpx && 2 * cpx, '2 × cp -r'), cp: cpx, vsCp: ratio(med('e.gitrepro'), cpx) };
  results.summary.clone = { ...row('f', cpx && 2 * cpx, '2 × cp -r'), cp: cpx, vsCp: ratio(med('f.gitrepro'), cpx) };
}
if (cfg.with1m) {
  results.summary['1m'] = Object.fromEntries(['a', 'b', 'c', 'd'].map((k) => [k, row(`1m.${k}`, k === 'a' ? undefined : med(`1m.${k}.lfs`), k === 'a' ? undefined : 'git-lfs')]));
}
results.growth = growthOf(results, path.join(BENCH, 'results'));
log('summary ' + JSON.stringify(results.summary));
{
  const end = dfNow(cfg.root);
  const s = results.extra.space;
  s.atEnd = end;
  s.usedGiB = Math.round((s.atStart.availBytes - end.availBytes) / 2 ** 30 * 100) / 100;
  s.usedInodes = s.atStart.availInodes - end.availInodes;
  log(`  space used by the run (df before/after, other users included): ${s.usedGiB} GiB, ${fmtFiles(s.usedInodes)} inodes`);
}
H.writeResults(`${mode}-${full ? 'full' : 'smoke'}-${stamp}.json`);

w2Steps?.waitAll();
mSteps?.waitAll();
rmSync(`/dev/shm/gitrepro-bench-${stamp}`, { recursive: true, force: true });
H.cleanUp();
