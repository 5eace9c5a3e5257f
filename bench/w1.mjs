#!/usr/bin/env node
// Benchmark driver for workload W1 (../shared/bench/w1.py): gitrepro against git-lfs, plain git,
// `cp -r` and node sha256, all in one run on the same data. See bench/README.md.
//
// Figures: (a) first recording of W1 (add + commit), (b) no-op commit (a small code change),
// (c) 10 data files changed (add + commit), (d) checkout between c1 and c2 (10 files differ).
// Timed with hyperfine where a command repeats; single long runs (a) with a wall clock.
// Instrumented extra runs (GIT_TRACE2_EVENT, node --cpu-prof) give the breakdown; they are
// never part of the figures.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeProfileDir } from './lib/cpuprof.mjs';
import { gitCallsUnder, parseTrace2, summarize } from './lib/trace2.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.dirname(BENCH);
const E = process.env;
const num = (k, d) => (E[k] === undefined || E[k] === '' ? d : Number(E[k]));

const cfg = {
  root: E.BENCH_ROOT || '/work/bench-tmp',
  w1py: E.W1_PY || path.resolve(MAIN, '../shared/bench/w1.py'),
  roundsA: num('BENCH_ROUNDS_A', 3),
  extraRoundsA: num('BENCH_EXTRA_ROUNDS_A', 3),
  runs: num('BENCH_RUNS', 15),
  runsC: num('BENCH_RUNS_C', 7),
  runsD: num('BENCH_RUNS_D', 10),
  lfs: num('BENCH_LFS', 1) === 1,
  plain: num('BENCH_PLAIN', 1) === 1,
  verifyEach: num('BENCH_VERIFY_EACH', 1),
  keep: num('BENCH_KEEP', 0) === 1,
  quietPct: num('BENCH_QUIET_PCT', 20),
  // CPU cores' worth of other users' work allowed during a measurement before it is retried
  maxOther: num('BENCH_MAX_OTHER', 0.25),
  retries: num('BENCH_RETRIES', 3),
  quietWait: num('BENCH_QUIET_WAIT', 120),
  waitAfterDelete: num('BENCH_WAIT_AFTER_DELETE', 360),
  // gitrepro under test: a private copy of the build (the shims record its absolute path, and a
  // rebuild in /work/main during the run would otherwise pull dist/ from under the hooks)
  gitreproFrom: E.BENCH_GITREPRO || MAIN,
  pattern: E.BENCH_TRACK || 'data/',
};
const scale = { small: num('W1_SMALL_N', 10000), smallKiB: num('W1_SMALL_KIB', 16), bigMiB: num('W1_BIG_MIB', 256) };
const full = scale.small === 10000 && scale.smallKiB === 16 && scale.bigMiB === 256;
const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15);
const W = path.join(cfg.root, 'w1');
const TRASH = path.join(cfg.root, 'trash');
const LOG = path.join(cfg.root, `w1-${stamp}.log`);
const FLUSH_CPU = path.join(W, 'flusher-cpu.txt');
if (/\s/.test(W)) throw new Error('BENCH_ROOT must not contain spaces');

// ---------------------------------------------------------------- helpers
function log(...a) {
  const s = a.join(' ');
  console.log(s);
  appendFileSync(LOG, s + '\n');
}
let ENV = { ...E };
function sh(cmd, o = {}) {
  const r = spawnSync('bash', ['-c', `set -eo pipefail; ${cmd}`], { cwd: o.cwd, env: { ...ENV, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  if (r.status !== 0 && !o.ok) {
    const msg = `command failed (exit ${r.status}) in ${o.cwd ?? process.cwd()}:\n  ${cmd}\n${r.stderr.toString().slice(-4000)}${r.stdout.toString().slice(-2000)}`;
    throw new Error(msg);
  }
  return r.stdout.toString();
}
/** Runs a command for its stderr: GITREPRO_TRACE=1 phase lines ("gitrepro trace: <ms> ms <phase>"). */
function traced(cmd, o = {}) {
  const r = spawnSync('bash', ['-c', `set -eo pipefail; ${cmd}`], { cwd: o.cwd, env: { ...ENV, GITREPRO_TRACE: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`command failed (exit ${r.status}) in ${o.cwd}:\n  ${cmd}\n${r.stderr.toString().slice(-4000)}`);
  return r.stderr.toString().split('\n').filter((l) => l.startsWith('gitrepro trace:')).map((l) => l.slice(16).trim());
}
function timed(cmd, o = {}) {
  const t0 = performance.now();
  sh(cmd, o);
  return (performance.now() - t0) / 1000;
}
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const med = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  return { median: r4(med), min: r4(s[0]), max: r4(s[n - 1]), mean: r4(s.reduce((a, b) => a + b, 0) / n), n, times: s.map(r4) };
}
/** CPU busy fraction of the whole machine over `sec` seconds (other users' jobs disturb timings). */
function busyPct(sec = 1) {
  const read = () => readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  spawnSync('sleep', [String(sec)]);
  const b = read();
  const d = b.map((x, i) => x - a[i]);
  const tot = d.reduce((x, y) => x + y, 0);
  const idle = d[3] + d[4];
  return tot ? (100 * (tot - idle)) / tot : 0;
}
/**
 * Other users' load during a measurement: CPU busy time of the whole machine minus ours (this
 * process and every descendant it has reaped: hyperfine, git, hooks) minus gitrepro's detached
 * record flushers (reparented away from us; prep.sh logs their CPU), in cores.
 */
const TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString()) || 100;
function cpuSnap() {
  const m = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = m.reduce((a, b) => a + b, 0) - m[3] - m[4];
  const st = readFileSync('/proc/self/stat', 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number);
  const self = f[11] + f[12] + f[13] + f[14];
  let flush = 0;
  if (existsSync(FLUSH_CPU)) for (const l of readFileSync(FLUSH_CPU, 'utf8').split('\n')) flush += Number(l) || 0;
  return { busy, self, flush, t: performance.now() };
}
function otherCores(a, b) {
  const secs = (b.t - a.t) / 1000;
  return Math.max(0, Math.round(((b.busy - a.busy - (b.self - a.self)) / TCK - (b.flush - a.flush)) / secs * 100) / 100);
}
const quiet = [];
function waitQuiet(label) {
  const t0 = Date.now();
  let b = busyPct();
  while (b > cfg.quietPct && (Date.now() - t0) / 1000 < cfg.quietWait) b = busyPct(2);
  const waited = (Date.now() - t0) / 1000;
  quiet.push({ label, busyPct: Math.round(b), waitedS: Math.round(waited), load1: os.loadavg()[0] });
  if (b > cfg.quietPct) log(`  ! machine still ${Math.round(b)}% busy before ${label} (waited ${Math.round(waited)} s); figures may be disturbed`);
}
const results = { meta: {}, figures: {}, extra: {}, breakdown: {}, quiet, checks: [] };
function fig(key, samples, note) {
  results.figures[key] = { ...stats(samples), ...(note ? { note } : {}) };
  const f = results.figures[key];
  log(`  ${key.padEnd(34)} median ${f.median.toFixed(4)} s  (min ${f.min.toFixed(4)}, max ${f.max.toFixed(4)}, n=${f.n})`);
}
function hyperfine(key, { cwd, cmd, prepare, runs = cfg.runs, warmup = 2, shellNone = true, env = {}, note, before }) {
  const json = path.join(W, 'hf', `${key}.json`);
  mkdirSync(path.dirname(json), { recursive: true });
  const args = ['--style', 'basic', '--runs', String(runs), '--warmup', String(warmup), '--export-json', json];
  if (shellNone) args.push('-N');
  if (prepare) args.push('--prepare', prepare);
  args.push(cmd);
  let best;
  for (let attempt = 1; attempt <= cfg.retries; attempt++) {
    waitQuiet(key);
    const extra = before ? before(attempt) : {};
    const a = cpuSnap();
    const r = spawnSync('hyperfine', args, { cwd, env: { ...ENV, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const other = otherCores(a, cpuSnap());
    appendFileSync(LOG, `$ (cd ${cwd} && hyperfine ${args.map((x) => JSON.stringify(x)).join(' ')})  [attempt ${attempt}, other load ${other} cores]\n${r.stdout}${r.stderr}`);
    if (r.status !== 0) throw new Error(`hyperfine failed for ${key} in ${cwd}:\n  ${cmd}\n  prepare: ${prepare}\n${r.stderr.toString().slice(-3000)}`);
    const times = JSON.parse(readFileSync(json, 'utf8')).results[0].times;
    if (!best || other < best.other) best = { times, other, attempt };
    if (other <= cfg.maxOther) break;
    log(`  ${key}: other users' load ${other} cores during the measurement${attempt < cfg.retries ? ', measuring again' : ''}`);
  }
  fig(key, best.times, note);
  Object.assign(results.figures[key], { otherCores: best.other, attempt: best.attempt });
  return results.figures[key];
}
function check(what, cmd, cwd) {
  const r = spawnSync('bash', ['-c', `set -eo pipefail; ${cmd}`], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = (r.stdout.toString() + r.stderr.toString()).trim();
  const ok = r.status === 0;
  results.checks.push({ what, ok, out: out.slice(0, 500) });
  log(`  check ${ok ? 'ok  ' : 'FAIL'} ${what}: ${out.split('\n').slice(-1)[0]}`);
  if (!ok) throw new Error(`check failed: ${what}\n  (cd ${cwd} && ${cmd})\n${out}`);
  return out;
}
const warm = (dir, what = 'data .git') => sh(`find ${what} -type f -exec cat {} + > /dev/null`, { cwd: dir });
/** Child processes in an `strace -f -tt -e trace=execve` log: program, start (ms from the first exec), ms. */
function straceChildren(file) {
  if (!existsSync(file)) return [];
  const t = (hms) => { const [h, m, sec] = hms.split(':'); return (Number(h) * 3600 + Number(m) * 60 + Number(sec)) * 1000; };
  const procs = new Map();
  let t0;
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\d+)\s+(\d\d:\d\d:\d\d\.\d+) (.*)$/.exec(l);
    if (!m) continue;
    const [, pid, hms, rest] = m;
    const at = t(hms);
    t0 ??= at;
    const ex = /^execve\("([^"]+)", \[(.*?)\]/.exec(rest);
    if (ex && !rest.includes('= -1')) procs.set(pid, { prog: `${path.basename(ex[1])} ${ex[2].split(', ').slice(1, 3).join(' ').replace(/"/g, '')}`.trim(), start: at });
    else if (rest.startsWith('+++ exited') && procs.has(pid)) procs.get(pid).end = at;
  }
  return [...procs.values()].filter((p) => p.end !== undefined).map((p) => ({ prog: p.prog, atMs: Math.round(p.start - t0), ms: Math.round((p.end - p.start) * 10) / 10 }));
}
function waitFlusher(repo) {
  sh(`bash ${BENCH}/lib/prep.sh wait`, { env: { BENCH_REPO: repo, BENCH_FLUSH_LOG: '' } });
}
function waitGc(repo) {
  // a detached `git gc --auto` (10,000 loose pointer blobs trigger it) must not overlap later runs
  sh(`while [ -f .git/gc.pid ] && kill -0 $(cut -d' ' -f1 .git/gc.pid) 2>/dev/null; do sleep 0.1; done`, { cwd: repo });
}

// ---------------------------------------------------------------- set-up
mkdirSync(cfg.root, { recursive: true });
mkdirSync(TRASH, { recursive: true });
const lastDelete = path.join(cfg.root, '.last-delete');
if (existsSync(lastDelete) && cfg.waitAfterDelete > 0) {
  const age = (Date.now() - statSync(lastDelete).mtimeMs) / 1000;
  if (age < cfg.waitAfterDelete) {
    // measured here: for minutes after a big tree is deleted, creating files is 4-15x slower
    log(`waiting ${Math.ceil(cfg.waitAfterDelete - age)} s: a tree was deleted ${Math.round(age)} s ago (BENCH_WAIT_AFTER_DELETE=0 skips)`);
    spawnSync('sleep', [String(Math.ceil(cfg.waitAfterDelete - age))]);
  }
}
if (existsSync(W)) renameSync(W, path.join(TRASH, `w1-${stamp}-old`));
mkdirSync(W, { recursive: true });
log(`W1 benchmark ${stamp}: scale ${JSON.stringify(scale)}${full ? ' (full W1)' : ' (SMOKE scale)'}; work dir ${W}; log ${LOG}`);

const PKG = path.join(W, 'gitrepro-pkg');
for (const d of ['bin', 'dist', 'hooks', 'package.json']) cpSync(path.join(cfg.gitreproFrom, d), path.join(PKG, d), { recursive: true });
// a second copy whose launcher can profile (node refuses --cpu-prof in NODE_OPTIONS): used only
// by the instrumented repo, so the measured repos run the launcher exactly as installed
const PKG_PROF = path.join(W, 'gitrepro-pkg-prof');
cpSync(PKG, PKG_PROF, { recursive: true });
renameSync(path.join(PKG_PROF, 'bin', 'gitrepro'), path.join(PKG_PROF, 'bin', 'gitrepro.mjs'));
writeFileSync(path.join(PKG_PROF, 'bin', 'gitrepro'), '#!/bin/sh\nif [ -n "${GITREPRO_BENCH_PROF:-}" ]; then exec node --cpu-prof --cpu-prof-dir="$GITREPRO_BENCH_PROF" "$(dirname "$0")/gitrepro.mjs" "$@"; fi\nexec node "$(dirname "$0")/gitrepro.mjs" "$@"\n', { mode: 0o755 });
const PROF_PATH = `${path.join(PKG_PROF, 'bin')}:${E.PATH}`;
const gitconfig = path.join(W, 'gitconfig');
writeFileSync(gitconfig, '[user]\n\tname = bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n[commit]\n\tgpgsign = false\n');
ENV = {
  ...E,
  PATH: `${path.join(PKG, 'bin')}:${E.PATH}`,
  GIT_CONFIG_GLOBAL: gitconfig,
  GIT_CONFIG_NOSYSTEM: '1',
  W1_PY: cfg.w1py,
  BENCH_LIB: path.join(BENCH, 'lib'),
  BENCH_VERIFY_EACH: String(cfg.verifyEach),
  BENCH_FLUSH_CPU_LOG: FLUSH_CPU,
  W1_SMALL_N: String(scale.small),
  W1_SMALL_KIB: String(scale.smallKiB),
  W1_BIG_MIB: String(scale.bigMiB),
};
delete ENV.GITREPRO_SYNC_RECORDS;
delete ENV.GITREPRO_SKIP;
delete ENV.NODE_OPTIONS;
delete ENV.GIT_TRACE2_EVENT;

const v = (c) => sh(c).trim();
results.meta = {
  stamp, scale, full, cfg,
  gitreproCommit: v(`git -C ${MAIN} rev-parse HEAD 2>/dev/null || echo unknown`),
  gitreproDirty: v(`git -C ${MAIN} status --porcelain -- src hooks bin scripts 2>/dev/null | wc -l`) !== '0',
  gitreproVersion: v('gitrepro --version'),
  git: v('git --version'), lfs: v('git lfs version'), node: process.version, hyperfine: v('hyperfine --version'),
  python: v('python3 --version'), kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30),
  fs: v(`df -T ${W} | tail -1`),
};
log(`  ${results.meta.git}; ${results.meta.lfs}; node ${process.version}; ${results.meta.hyperfine}; gitrepro ${results.meta.gitreproVersion} @ ${results.meta.gitreproCommit.slice(0, 12)}${results.meta.gitreproDirty ? ' (+ uncommitted changes)' : ''}`);

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

// ---------------------------------------------------------------- repos and (a)
const cpTimes = [];
let lastCp;
const syncTimes = [];
function newRepo(name, tool, pattern, env = {}) {
  const dir = path.join(W, name);
  mkdirSync(dir);
  sh('git init -q .', { cwd: dir });
  sh('echo "print(1)" > code.txt', { cwd: dir });
  if (tool === 'gitrepro') {
    sh(`gitrepro install >/dev/null && gitrepro track '${pattern}' >/dev/null`, { cwd: dir, env });
  } else if (tool === 'lfs') {
    sh(`git lfs install --local >/dev/null && git lfs track 'data/**' >/dev/null`, { cwd: dir });
  }
  // plain git: W1 goes into git itself; a gc of 668 MiB of loose objects would take minutes
  if (tool === 'plain') sh('git config gc.auto 0', { cwd: dir });
  sh('git add -A && git commit -q -m init', { cwd: dir, env });
  waitFlusher(dir);
  // the data arrives by `cp -r`: that is also the cp baseline
  warm(SRC, 'data');
  sh('sync');
  const cp = timed(`cp -r ${SRC}/data ${dir}/data`);
  cpTimes.push(cp);
  syncTimes.push(timed('sync'));
  log(`  ${name}: cp -r ${cp.toFixed(3)} s`);
  lastCp = cp;
  return dir;
}
function firstRecording(dir, tool, key, instrument, extraEnv = {}) {
  warm(dir, 'data');
  sh('sync');
  waitQuiet(key);
  const env = { ...extraEnv };
  if (instrument) {
    env.GIT_TRACE2_EVENT = path.join(W, 'trace', `${key}.json`);
    env.GIT_TRACE2_PARENT_SID = `bench-${key}-add`;
    mkdirSync(path.dirname(env.GIT_TRACE2_EVENT), { recursive: true });
  }
  const addCmd = tool === 'gitrepro' ? 'gitrepro add > /dev/null' : 'git add data';
  if (instrument) {
    const t0 = performance.now();
    // execve-only strace: how long the `sync -f` (syncfs) child ran. With it and the cpu profile
    // this run's add is ~3x slower than a measured one: use its proportions, not its times.
    const st = path.join(W, 'trace', `${key}.strace`);
    const haveStrace = spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status === 0;
    const addTrace = traced(haveStrace ? `strace -f --seccomp-bpf -tt -e trace=execve -o ${st} ${addCmd}` : addCmd, { cwd: dir, env });
    const tA = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const commitTrace = traced('git commit -q -m c1', { cwd: dir, env: { ...extraEnv, GIT_TRACE2_EVENT: env.GIT_TRACE2_EVENT } });
    const tC = (performance.now() - t1) / 1000;
    waitFlusher(dir);
    log(`  ${key}: add ${tA.toFixed(3)} s + commit ${tC.toFixed(3)} s (traced, not a figure)`);
    return { add: tA, commit: tC, total: tA + tC, addTrace, commitTrace, children: straceChildren(st), c1: sh('git rev-parse HEAD', { cwd: dir }).trim() };
  }
  // gitrepro's phase marks (GITREPRO_TRACE=1, a dozen lines on stderr) come with every round
  const snap0 = cpuSnap();
  let t0 = performance.now();
  const addPhases = tool === 'gitrepro' ? traced(addCmd, { cwd: dir, env }) : (sh(addCmd, { cwd: dir, env }), undefined);
  const tAdd = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const commitPhases = tool === 'gitrepro' ? traced('git commit -q -m c1', { cwd: dir, env: extraEnv }) : (sh('git commit -q -m c1', { cwd: dir, env: extraEnv }), undefined);
  const tCommit = (performance.now() - t0) / 1000;
  const other = otherCores(snap0, cpuSnap());
  const tf0 = performance.now();
  waitFlusher(dir);
  const flushS = (performance.now() - tf0) / 1000;
  const gcRan = existsSync(path.join(dir, '.git', 'gc.pid'));
  waitGc(dir);
  if (tool !== 'plain') sh('git gc -q', { cwd: dir }); // steady state for later figures (untimed)
  const c1 = sh('git rev-parse HEAD', { cwd: dir }).trim();
  log(`  ${key}: add ${tAdd.toFixed(3)} s + commit ${tCommit.toFixed(3)} s = ${(tAdd + tCommit).toFixed(3)} s${tool === 'gitrepro' ? `; detached flusher ran ${flushS.toFixed(3)} s more` : ''}${gcRan ? '; git gc --auto started' : ''}; other users' load ${other} cores`);
  return { add: tAdd, commit: tCommit, total: tAdd + tCommit, flushS, c1, other, clean: other <= cfg.maxOther, cp: lastCp, addPhases, commitPhases };
}

const tools = ['gitrepro', ...(cfg.lfs ? ['lfs'] : [])];
const A = { gitrepro: [], lfs: [], plain: [] };
const main = {};
log(`(a) first recording, ${cfg.roundsA} round(s) per tool, a fresh repo each`);
// a round disturbed by other users' load is repeated in a fresh repo (BENCH_EXTRA_ROUNDS_A more at most)
for (let i = 1; i <= cfg.roundsA + cfg.extraRoundsA; i++) {
  for (const tool of tools) {
    if (A[tool].filter((r) => r.clean).length >= cfg.roundsA) continue;
    const dir = newRepo(`${tool}${i}`, tool, cfg.pattern);
    const r = firstRecording(dir, tool, `a.${tool}.${i}`, false);
    A[tool].push(r);
    if (i === 1) main[tool] = { dir, c1: r.c1 };
  }
}
const useA = (rs) => (rs.some((r) => r.clean) ? rs.filter((r) => r.clean) : rs);
results.extra.aRounds = Object.fromEntries(Object.entries(A).map(([t, rs]) => [t, rs.map(({ c1, ...r }) => r)]));
// gitrepro with an anchored pattern (walk root data/ instead of the whole work tree): its own (a)
const anch = newRepo('gitrepro-anchored', 'gitrepro', '/data/');
const aAnch = firstRecording(anch, 'gitrepro', 'a.gitrepro_anchored', false);
// instrumented first recording (trace2 + cpu profile): breakdown only
const profEnv = (phase) => {
  const d = path.join(W, 'prof', phase);
  mkdirSync(d, { recursive: true });
  return { PATH: PROF_PATH, GITREPRO_BENCH_PROF: d };
};
const prof = newRepo('gitrepro-prof', 'gitrepro', cfg.pattern, { PATH: PROF_PATH });
const aProf = firstRecording(prof, 'gitrepro', 'a.gitrepro_instrumented', true, profEnv('a'));
let aPlain;
if (cfg.plain) {
  const dir = newRepo('plain1', 'plain');
  aPlain = firstRecording(dir, 'plain', 'a.plain', false);
  main.plain = { dir, c1: aPlain.c1 };
}
for (const tool of tools) {
  const rs = useA(A[tool]);
  fig(`a.${tool}`, rs.map((r) => r.total));
  Object.assign(results.figures[`a.${tool}`], { otherCores: rs.map((r) => r.other), roundsDisturbed: A[tool].filter((r) => !r.clean).length });
  fig(`a.${tool}.add`, rs.map((r) => r.add));
  fig(`a.${tool}.commit`, rs.map((r) => r.commit));
}
fig('a.gitrepro.flusher_after', A.gitrepro.map((r) => r.flushS), 'detached record flusher, wall after git commit returned');
fig('a.gitrepro_anchored', [aAnch.total]);
results.figures['a.gitrepro_anchored'].otherCores = aAnch.other;
if (aPlain) {
  fig('a.plain', [aPlain.total], 'W1 committed into git itself (reference)');
  results.figures['a.plain'].otherCores = aPlain.other;
}
fig('base.cp_r', cpTimes, '`cp -r` of data/, source warm, no sync');
fig('base.sync_after_cp', syncTimes, '`sync` right after each `cp -r` (writeback of the copy)');
const allTools = [...tools, ...(cfg.plain ? ['plain'] : [])];
for (const t of allTools) check(`${t} work tree after (a) = c1`, `python3 ${cfg.w1py} verify . ${MAN1}`, main[t].dir);
{
  const tr = parseTrace2(path.join(W, 'trace', 'a.gitrepro_instrumented.json'));
  results.breakdown.a = {
    addS: aProf.add, commitS: aProf.commit, addTrace: aProf.addTrace, commitTrace: aProf.commitTrace, addChildren: aProf.children,
    addGit: gitCallsUnder(tr, 'bench-a.gitrepro_instrumented-add'),
    commit: summarize(tr, ['git', 'commit']),
    cpuProfiles: summarizeProfileDir(path.join(W, 'prof', 'a')),
  };
}

// ---------------------------------------------------------------- (b) no-op commit
log('(b) no-op commit: a one-line change of code.txt, staged, then `git commit -q -m n`');
const prepEnv = (dir, tool, extra = {}) => ({ BENCH_REPO: dir, BENCH_TOOL: tool, ...extra });
const prep = (step, ...args) => `bash ${BENCH}/lib/prep.sh ${step}${args.length ? ' ' + args.join(' ') : ''}`;
const flushLog = path.join(W, 'flush-b.txt');
for (const t of allTools) {
  hyperfine(`b.${t}`, { cwd: main[t].dir, cmd: 'git commit -q -m n', prepare: prep('noop'), env: prepEnv(main[t].dir, t, t === 'gitrepro' ? { BENCH_FLUSH_LOG: flushLog } : {}) });
}
waitFlusher(main.gitrepro.dir);
{
  const waits = readFileSync(flushLog, 'utf8').trim().split('\n').map(Number).slice(1); // first one precedes the first run
  fig('b.gitrepro.flusher_after', waits, 'wall the detached record flusher still ran after git commit returned');
}
{
  // CPU of one detached flusher (children included): the last 5 logged are (b)'s
  const cpu = readFileSync(FLUSH_CPU, 'utf8').trim().split('\n').map(Number).filter((x) => x > 0).slice(-5);
  fig('b.gitrepro.flusher_cpu', cpu, 'CPU seconds of one detached record flusher, its git children included');
}
hyperfine('b.gitrepro_anchored', { cwd: anch, cmd: 'git commit -q -m n', prepare: prep('noop'), env: prepEnv(anch, 'gitrepro') });
waitFlusher(anch);
hyperfine('b.gitrepro.sync_records', { cwd: main.gitrepro.dir, cmd: 'git commit -q -m n', prepare: prep('noop'), env: { ...prepEnv(main.gitrepro.dir, 'gitrepro'), GITREPRO_SYNC_RECORDS: '1' }, note: 'GITREPRO_SYNC_RECORDS=1: post-commit writes the record before git returns' });
hyperfine('b.gitrepro.skip', { cwd: main.gitrepro.dir, cmd: 'git commit -q -m n', prepare: prep('noop'), env: { ...prepEnv(main.gitrepro.dir, 'gitrepro'), GITREPRO_SKIP: '1' }, note: 'GITREPRO_SKIP=1: the sh shims start and exit' });
hyperfine('b.gitrepro.no_hooks', { cwd: main.gitrepro.dir, cmd: 'git -c core.hooksPath=/dev/null commit -q -m n', prepare: prep('noop'), env: prepEnv(main.gitrepro.dir, 'gitrepro'), note: 'same repo, hooks off: git alone' });
hyperfine('b.gitrepro.hook_floor', { cwd: main.gitrepro.dir, cmd: 'gitrepro hook post-checkout 0 0 0', note: 'node start + hook module load, handler returns at once' });
hyperfine('b.gitrepro.find_cnewer', { cwd: main.gitrepro.dir, cmd: '. .git/gitrepro/fast; gr_changed .git/gitrepro/stamp', shellNone: false, note: 'the pre-commit fast path\'s change check (find -cnewer) with root ., which stops at the first changed path' });
hyperfine('b.gitrepro_anchored.find_cnewer', { cwd: anch, cmd: '. .git/gitrepro/fast; gr_changed .git/gitrepro/stamp', shellNone: false, runs: 30, warmup: 5, note: 'the same check over data/ when nothing changed: a full traversal of 10,100 entries' });
// instrumented no-op commits
for (const [name, dir] of [['gitrepro', main.gitrepro.dir], ['gitrepro_anchored', anch], ...(cfg.lfs ? [['lfs', main.lfs.dir]] : [])]) {
  const tf = path.join(W, 'trace', `b.${name}.json`);
  const phases = [];
  for (let i = 0; i < 3; i++) {
    sh(prep('noop'), { env: prepEnv(dir, name) });
    phases.push(traced('git commit -q -m traced', { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
  }
  waitFlusher(dir);
  results.breakdown[`b.${name}`] = summarize(parseTrace2(tf), ['git', 'commit']);
  results.breakdown[`b.${name}.gitreproTrace`] = phases;
}
{
  sh(prep('noop'), { env: prepEnv(prof, 'gitrepro') });
  const env = profEnv('b');
  sh('git commit -q -m profiled', { cwd: prof, env });
  waitFlusher(prof);
  results.breakdown['b.gitrepro.cpuProfiles'] = summarizeProfileDir(env.GITREPRO_BENCH_PROF);
}

// ---------------------------------------------------------------- (c) 10 files changed
log(`(c) 10 files changed: ${cfg.runsC} rounds of new content, the last one is \`w1.py mod\` (= c2)`);
const cCmd = { gitrepro: 'gitrepro add > /dev/null && git commit -q -m c', lfs: 'git add data && git commit -q -m c', plain: 'git add data && git commit -q -m c' };
{
  // anchored pattern: whether the pre-commit fast path spares the commit its second scan
  writeFileSync(path.join(anch, '.git', 'bench-variant'), '0');
  hyperfine('c.gitrepro_anchored', { cwd: anch, cmd: cCmd.gitrepro, shellNone: false, runs: cfg.runsC, warmup: 1, prepare: prep('variant', cfg.runsC + 1), env: prepEnv(anch, 'gitrepro'), before: (n) => (writeFileSync(path.join(anch, '.git', 'bench-variant'), '0'), { BENCH_VARIANT_BASE: String(n * 100) }) });
  waitFlusher(anch);
  check('gitrepro (anchored) work tree after (c) = c2', `python3 ${cfg.w1py} verify . ${MAN2}`, anch);
}
for (const t of allTools) {
  const dir = main[t].dir;
  const before = (attempt) => {
    writeFileSync(path.join(dir, '.git', 'bench-variant'), '0');
    return { BENCH_VARIANT_BASE: String(attempt * 100) };
  };
  hyperfine(`c.${t}`, { cwd: dir, cmd: cCmd[t], shellNone: false, runs: cfg.runsC, warmup: 1, prepare: prep('variant', cfg.runsC + 1), env: prepEnv(dir, t), before });
  waitFlusher(dir);
  main[t].c2 = sh('git rev-parse HEAD', { cwd: dir }).trim();
  check(`${t} work tree after (c) = c2`, `python3 ${cfg.w1py} verify . ${MAN2}`, dir);
  const changed = t === 'gitrepro'
    ? `git diff-tree -r --name-only $(git show ${main[t].c1}:gitrepro.lock | awk '$1=="tree"{print $2}') $(git show ${main[t].c2}:gitrepro.lock | awk '$1=="tree"{print $2}')`
    : `git diff --name-only ${main[t].c1} ${main[t].c2} -- data`;
  check(`${t}: c1 and c2 differ in exactly the 10 data files`, `n=$(${changed} | wc -l); echo "$n files differ"; [ "$n" = 10 ]`, dir);
}
{
  // instrumented rounds: add and commit timed apart, git calls traced, then one cpu profile
  const dir = main.gitrepro.dir;
  const tf = path.join(W, 'trace', 'c.gitrepro.json');
  const adds = [], commits = [], addTrace = [], commitTrace = [];
  for (let i = 0; i < 3; i++) {
    sh(`python3 ${BENCH}/lib/variant.py ${cfg.w1py} . ${1000 + i} && sync`, { cwd: dir });
    warm(dir);
    let t0 = performance.now();
    addTrace.push(traced('gitrepro add > /dev/null', { cwd: dir, env: { GIT_TRACE2_EVENT: tf, GIT_TRACE2_PARENT_SID: `bench-c-add-${i}` } }));
    adds.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    commitTrace.push(traced('git commit -q -m c-traced', { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
    commits.push((performance.now() - t0) / 1000);
    waitFlusher(dir);
  }
  const tr = parseTrace2(tf);
  sh(`python3 ${BENCH}/lib/variant.py ${cfg.w1py} . 2000 && sync`, { cwd: prof });
  warm(prof);
  const penv = profEnv('c');
  const pdir = penv.GITREPRO_BENCH_PROF;
  sh('gitrepro add > /dev/null && git commit -q -m c-profiled', { cwd: prof, env: penv });
  waitFlusher(prof);
  main.prof = { c1: aProf.c1, c2: sh('git rev-parse HEAD', { cwd: prof }).trim() };
  results.breakdown.c = {
    addS: stats(adds), commitS: stats(commits), addTrace, commitTrace,
    addGit: [0, 1, 2].map((i) => gitCallsUnder(tr, `bench-c-add-${i}`)),
    commit: summarize(tr, ['git', 'commit']),
    cpuProfiles: summarizeProfileDir(pdir),
  };
}

// ---------------------------------------------------------------- (d) checkout c1 <-> c2
log('(d) checkout between c1 and c2 (10 files differ); every state verified against its manifest');
for (const t of allTools) {
  const { dir, c1, c2 } = main[t];
  const both = [c1, MAN1, c2, MAN2];
  hyperfine(`d.${t}.c2_to_c1`, { cwd: dir, cmd: `git checkout -q ${c1}`, runs: cfg.runsD, warmup: 1, prepare: prep('checkout', c2, MAN2, ...both), env: prepEnv(dir, t) });
  check(`${t} after checkout c1`, `python3 ${cfg.w1py} verify . ${MAN1}`, dir);
  hyperfine(`d.${t}.c1_to_c2`, { cwd: dir, cmd: `git checkout -q ${c2}`, runs: cfg.runsD, warmup: 1, prepare: prep('checkout', c1, MAN1, ...both), env: prepEnv(dir, t) });
  check(`${t} after checkout c2`, `python3 ${cfg.w1py} verify . ${MAN2}`, dir);
  const f1 = results.figures[`d.${t}.c2_to_c1`], f2 = results.figures[`d.${t}.c1_to_c2`];
  fig(`d.${t}`, [...f1.times, ...f2.times], 'both directions pooled');
}
{
  const { dir, c1, c2 } = main.gitrepro;
  const tf = path.join(W, 'trace', 'd.gitrepro.json');
  const phases = [];
  for (let i = 0; i < 2; i++) {
    warm(dir);
    phases.push(traced(`git checkout -q ${c1}`, { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
    warm(dir);
    phases.push(traced(`git checkout -q ${c2}`, { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
  }
  check('gitrepro after traced checkouts = c2', `python3 ${cfg.w1py} verify . ${MAN2}`, dir);
  warm(prof);
  const penv = profEnv('d');
  const pdir = penv.GITREPRO_BENCH_PROF;
  sh(`git checkout -q ${main.prof.c1} && git checkout -q ${main.prof.c2}`, { cwd: prof, env: penv });
  check('profiled repo after checkout c1 -> variant commit: c1 data restored then variant', `git checkout -q ${main.prof.c1} && python3 ${cfg.w1py} verify . ${MAN1}`, prof);
  results.breakdown.d = { checkout: summarize(parseTrace2(tf), ['git', 'checkout']), gitreproTrace: phases, cpuProfiles: summarizeProfileDir(pdir) };
  if (cfg.lfs) {
    const tl = path.join(W, 'trace', 'd.lfs.json');
    for (let i = 0; i < 2; i++) {
      warm(main.lfs.dir);
      sh(`git checkout -q ${main.lfs.c1} && git checkout -q ${main.lfs.c2}`, { cwd: main.lfs.dir, env: { GIT_TRACE2_EVENT: tl } });
    }
    results.breakdown['d.lfs'] = summarize(parseTrace2(tl), ['git', 'checkout']);
  }
}

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
const outName = `w1-${full ? 'full' : 'smoke'}-${stamp}.json`;
const outFile = E.BENCH_OUT || path.join(BENCH, 'results', outName);
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n');
log(`results: ${outFile}`);
spawnSync('node', [path.join(BENCH, 'report.mjs'), outFile], { stdio: 'inherit' });

for (const t of allTools) waitFlusher(main[t].dir);
waitFlusher(anch);
waitFlusher(prof);
if (cfg.keep) {
  log(`kept ${W} (BENCH_KEEP=1)`);
} else {
  renameSync(W, path.join(TRASH, `w1-${stamp}`));
  log(`deleting ${TRASH} ...`);
  rmSync(TRASH, { recursive: true, force: true });
  writeFileSync(lastDelete, `${new Date().toISOString()}\n`);
}
