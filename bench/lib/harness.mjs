// Machinery shared by the benchmark drivers (bench/w1.mjs, bench/w2.mjs): configuration from the
// environment, logging, commands, wall clocks, other users' load, hyperfine with retries, checks,
// the private copy of the gitrepro build, the isolated git identity, and the end of a run
// (results file, report, finished trees deleted only at the very end). See bench/README.md.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const MAIN = path.dirname(BENCH);
const E = process.env;
export const num = (k, d) => (E[k] === undefined || E[k] === '' ? d : Number(E[k]));

/** The knobs every driver shares (bench/README.md); `defaults` overrides a driver's own defaults. */
export function commonConfig(defaults = {}) {
  const d = (k, v) => num(k, defaults[k] ?? v);
  return {
    root: E.BENCH_ROOT || '/work/bench-tmp',
    roundsA: d('BENCH_ROUNDS_A', 3),
    extraRoundsA: d('BENCH_EXTRA_ROUNDS_A', 3),
    runs: d('BENCH_RUNS', 15),
    runsC: d('BENCH_RUNS_C', 7),
    runsD: d('BENCH_RUNS_D', 10),
    lfs: d('BENCH_LFS', 1) === 1,
    plain: d('BENCH_PLAIN', 1) === 1,
    // 1: full verify around every timed checkout; quick: only the paths the checkout changes and
    // the list of files (bench/lib/verify-quick.py); 0: none
    verifyEach: ((v) => (/^\d+$/.test(v) ? Number(v) : v))(E.BENCH_VERIFY_EACH || String(defaults.BENCH_VERIFY_EACH ?? 1)),
    keep: d('BENCH_KEEP', 0) === 1,
    quietPct: d('BENCH_QUIET_PCT', 20),
    // CPU cores' worth of other users' work allowed during a measurement before it is retried
    maxOther: d('BENCH_MAX_OTHER', 0.25),
    retries: d('BENCH_RETRIES', 3),
    quietWait: d('BENCH_QUIET_WAIT', 120),
    waitAfterDelete: d('BENCH_WAIT_AFTER_DELETE', 360),
    // gitrepro under test: a private copy of the build (the shims record its absolute path, and a
    // rebuild in /work/main during the run would otherwise pull dist/ from under the hooks)
    gitreproFrom: E.BENCH_GITREPRO || MAIN,
    pattern: E.BENCH_TRACK || 'data/',
    // 1: every repo gets Watchman: gitrepro's probe (git config gitrepro.fsmonitor watchman), and
    // git's own for git-lfs and plain git (core.fsmonitor = git's fsmonitor-watchman hook)
    fsmonitor: d('BENCH_FSMONITOR', 0) === 1,
  };
}

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const med = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  return { median: r4(med), min: r4(s[0]), max: r4(s[n - 1]), mean: r4(s.reduce((a, b) => a + b, 0) / n), n, times: s.map(r4) };
}

/** CPU busy fraction of the whole machine over `sec` seconds (other users' jobs disturb timings). */
export function busyPct(sec = 1) {
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
 * A benchmark run: `name` names the work dir ($BENCH_ROOT/<name>) and the log; `cfg` comes from
 * commonConfig (plus the driver's own knobs).
 */
export function createHarness({ name, cfg }) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15);
  const W = path.join(cfg.root, name);
  const TRASH = path.join(cfg.root, 'trash');
  const LOG = path.join(cfg.root, `${name}-${stamp}.log`);
  const FLUSH_CPU = path.join(W, 'flusher-cpu.txt');
  const lastDelete = path.join(cfg.root, '.last-delete');
  if (/\s/.test(W)) throw new Error('BENCH_ROOT must not contain spaces');
  const H = { cfg, stamp, W, TRASH, LOG, FLUSH_CPU, ENV: { ...E } };

  // -------------------------------------------------------------- helpers
  H.log = (...a) => {
    const s = a.join(' ');
    console.log(s);
    appendFileSync(LOG, s + '\n');
  };
  // o.timeoutMs: the command (and every process it started: `timeout` signals its process group)
  // is killed after that long, and the error has timedOut set
  H.sh = (cmd, o = {}) => {
    const sec = o.timeoutMs ? Math.ceil(o.timeoutMs / 1000) : 0;
    const run = sec ? `timeout -s KILL ${sec} bash -c '${cmd.replace(/'/g, "'\\''")}'` : cmd;
    const r = spawnSync('bash', ['-c', `set -eo pipefail; ${run}`], { cwd: o.cwd, env: { ...H.ENV, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    if (r.status !== 0 && !o.ok) {
      const timedOut = sec > 0 && (r.status === 137 || r.signal === 'SIGKILL');
      const msg = `command failed (${timedOut ? `killed after ${sec} s` : `exit ${r.status}`}) in ${o.cwd ?? process.cwd()}:\n  ${cmd}\n${r.stderr.toString().slice(-4000)}${r.stdout.toString().slice(-2000)}`;
      throw Object.assign(new Error(msg), { timedOut });
    }
    return r.stdout.toString();
  };
  /** Runs a command for its stderr: GITREPRO_TRACE=1 phase lines ("gitrepro trace: <ms> ms <phase>"). */
  H.traced = (cmd, o = {}) => {
    const r = spawnSync('bash', ['-c', `set -eo pipefail; ${cmd}`], { cwd: o.cwd, env: { ...H.ENV, GITREPRO_TRACE: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`command failed (exit ${r.status}) in ${o.cwd}:\n  ${cmd}\n${r.stderr.toString().slice(-4000)}`);
    return r.stderr.toString().split('\n').filter((l) => l.startsWith('gitrepro trace:')).map((l) => l.slice(16).trim());
  };
  H.timed = (cmd, o = {}) => {
    const t0 = performance.now();
    H.sh(cmd, o);
    return (performance.now() - t0) / 1000;
  };

  /**
   * Other users' load during a measurement: CPU busy time of the whole machine minus ours (this
   * process and every descendant it has reaped: hyperfine, git, hooks) minus gitrepro's detached
   * record flushers (reparented away from us; prep.sh logs their CPU), in cores.
   */
  const TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString()) || 100;
  H.cpuSnap = () => {
    const m = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = m.reduce((a, b) => a + b, 0) - m[3] - m[4];
    const st = readFileSync('/proc/self/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number);
    const self = f[11] + f[12] + f[13] + f[14];
    let flush = 0;
    if (existsSync(FLUSH_CPU)) for (const l of readFileSync(FLUSH_CPU, 'utf8').split('\n')) flush += Number(l) || 0;
    return { busy, self, flush, t: performance.now() };
  };
  H.otherCores = (a, b) => {
    const secs = (b.t - a.t) / 1000;
    return Math.max(0, Math.round(((b.busy - a.busy - (b.self - a.self)) / TCK - (b.flush - a.flush)) / secs * 100) / 100);
  };
  const quiet = [];
  H.waitQuiet = (label) => {
    const t0 = Date.now();
    let b = busyPct();
    while (b > cfg.quietPct && (Date.now() - t0) / 1000 < cfg.quietWait) b = busyPct(2);
    const waited = (Date.now() - t0) / 1000;
    quiet.push({ label, busyPct: Math.round(b), waitedS: Math.round(waited), load1: os.loadavg()[0] });
    if (b > cfg.quietPct) H.log(`  ! machine still ${Math.round(b)}% busy before ${label} (waited ${Math.round(waited)} s); figures may be disturbed`);
  };
  const results = { meta: {}, figures: {}, extra: {}, breakdown: {}, quiet, checks: [] };
  H.results = results;
  H.fig = (key, samples, note) => {
    results.figures[key] = { ...stats(samples), ...(note ? { note } : {}) };
    const f = results.figures[key];
    H.log(`  ${key.padEnd(34)} median ${f.median.toFixed(4)} s  (min ${f.min.toFixed(4)}, max ${f.max.toFixed(4)}, n=${f.n})`);
  };
  H.hyperfine = (key, { cwd, cmd, prepare, runs = cfg.runs, warmup = 2, shellNone = true, env = {}, note, before }) => {
    const json = path.join(W, 'hf', `${key}.json`);
    mkdirSync(path.dirname(json), { recursive: true });
    const args = ['--style', 'basic', '--runs', String(runs), '--warmup', String(warmup), '--export-json', json];
    if (shellNone) args.push('-N');
    if (prepare) args.push('--prepare', prepare);
    args.push(cmd);
    let best;
    for (let attempt = 1; attempt <= cfg.retries; attempt++) {
      H.waitQuiet(key);
      const extra = before ? before(attempt) : {};
      const a = H.cpuSnap();
      const r = spawnSync('hyperfine', args, { cwd, env: { ...H.ENV, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      const other = H.otherCores(a, H.cpuSnap());
      appendFileSync(LOG, `$ (cd ${cwd} && hyperfine ${args.map((x) => JSON.stringify(x)).join(' ')})  [attempt ${attempt}, other load ${other} cores]\n${r.stdout}${r.stderr}`);
      if (r.status !== 0) throw new Error(`hyperfine failed for ${key} in ${cwd}:\n  ${cmd}\n  prepare: ${prepare}\n${r.stderr.toString().slice(-3000)}`);
      const times = JSON.parse(readFileSync(json, 'utf8')).results[0].times;
      if (!best || other < best.other) best = { times, other, attempt };
      if (other <= cfg.maxOther) break;
      H.log(`  ${key}: other users' load ${other} cores during the measurement${attempt < cfg.retries ? ', measuring again' : ''}`);
    }
    H.fig(key, best.times, note);
    Object.assign(results.figures[key], { otherCores: best.other, attempt: best.attempt });
    return results.figures[key];
  };
  H.check = (what, cmd, cwd) => {
    const r = spawnSync('bash', ['-c', `set -eo pipefail; ${cmd}`], { cwd, env: H.ENV, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    const out = (r.stdout.toString() + r.stderr.toString()).trim();
    const ok = r.status === 0;
    results.checks.push({ what, ok, out: out.slice(0, 500) });
    H.log(`  check ${ok ? 'ok  ' : 'FAIL'} ${what}: ${out.split('\n').slice(-1)[0]}`);
    if (!ok) throw new Error(`check failed: ${what}\n  (cd ${cwd} && ${cmd})\n${out}`);
    return out;
  };
  H.warm = (dir, what = 'data .git') => H.sh(`find ${what} -type f -exec cat {} + > /dev/null`, { cwd: dir });
  /** Child processes in an `strace -f -tt -e trace=execve` log: program, start (ms from the first exec), ms. */
  H.straceChildren = (file) => {
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
  };
  H.waitFlusher = (repo) => {
    H.sh(`bash ${BENCH}/lib/prep.sh wait`, { env: { BENCH_REPO: repo, BENCH_FLUSH_LOG: '' } });
  };
  H.waitGc = (repo) => {
    // a detached `git gc --auto` (10,000 loose pointer blobs trigger it) must not overlap later runs
    H.sh(`while [ -f .git/gc.pid ] && kill -0 $(cut -d' ' -f1 .git/gc.pid) 2>/dev/null; do sleep 0.1; done`, { cwd: repo });
  };
  /** Moves a finished tree into the trash (deleted at the end of the run, never while timing). */
  H.aside = (p) => {
    if (existsSync(p)) renameSync(p, path.join(TRASH, `${stamp}-${Date.now()}-${path.basename(p)}`));
  };

  // -------------------------------------------------------------- set-up
  /**
   * Waits out a recent deletion, makes the work dir, copies the build, writes the isolated git
   * config and the environment of every command. `header` is the first log line; `genEnv` the
   * generator's scale knobs; `gitconfigExtra` is appended to the git config.
   */
  H.setup = ({ header, genEnv = {}, gitconfigExtra = '', envExtra = {}, meta = {} }) => {
    mkdirSync(cfg.root, { recursive: true });
    mkdirSync(TRASH, { recursive: true });
    if (existsSync(lastDelete) && cfg.waitAfterDelete > 0) {
      const age = (Date.now() - statSync(lastDelete).mtimeMs) / 1000;
      if (age < cfg.waitAfterDelete) {
        // measured here: for minutes after a big tree is deleted, creating files is 4-15x slower
        H.log(`waiting ${Math.ceil(cfg.waitAfterDelete - age)} s: a tree was deleted ${Math.round(age)} s ago (BENCH_WAIT_AFTER_DELETE=0 skips)`);
        spawnSync('sleep', [String(Math.ceil(cfg.waitAfterDelete - age))]);
      }
    }
    if (existsSync(W)) renameSync(W, path.join(TRASH, `${name}-${stamp}-old`));
    mkdirSync(W, { recursive: true });
    H.log(header);

    const PKG = path.join(W, 'gitrepro-pkg');
    for (const d of ['bin', 'dist', 'hooks', 'package.json']) cpSync(path.join(cfg.gitreproFrom, d), path.join(PKG, d), { recursive: true });
    // a second copy whose launcher can profile (node refuses --cpu-prof in NODE_OPTIONS): used only
    // by the instrumented repo, so the measured repos run the launcher exactly as installed
    const PKG_PROF = path.join(W, 'gitrepro-pkg-prof');
    cpSync(PKG, PKG_PROF, { recursive: true });
    renameSync(path.join(PKG_PROF, 'bin', 'gitrepro'), path.join(PKG_PROF, 'bin', 'gitrepro.mjs'));
    writeFileSync(path.join(PKG_PROF, 'bin', 'gitrepro'), '#!/bin/sh\nif [ -n "${GITREPRO_BENCH_PROF:-}" ]; then exec node --cpu-prof --cpu-prof-dir="$GITREPRO_BENCH_PROF" "$(dirname "$0")/gitrepro.mjs" "$@"; fi\nexec node "$(dirname "$0")/gitrepro.mjs" "$@"\n', { mode: 0o755 });
    H.PROF_PATH = `${path.join(PKG_PROF, 'bin')}:${E.PATH}`;
    const gitconfig = path.join(W, 'gitconfig');
    writeFileSync(gitconfig, '[user]\n\tname = bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n[commit]\n\tgpgsign = false\n' + gitconfigExtra);
    H.ENV = {
      ...E,
      PATH: `${path.join(PKG, 'bin')}:${E.PATH}`,
      GIT_CONFIG_GLOBAL: gitconfig,
      GIT_CONFIG_NOSYSTEM: '1',
      BENCH_LIB: path.join(BENCH, 'lib'),
      BENCH_VERIFY_EACH: String(cfg.verifyEach),
      BENCH_FLUSH_CPU_LOG: FLUSH_CPU,
      ...envExtra,
      ...genEnv,
    };
    delete H.ENV.GITREPRO_SYNC_RECORDS;
    delete H.ENV.GITREPRO_SKIP;
    delete H.ENV.GITREPRO_TRACE;
    delete H.ENV.NODE_OPTIONS;
    delete H.ENV.GIT_TRACE2_EVENT;

    const v = (c) => H.sh(c).trim();
    results.meta = {
      stamp, ...meta, cfg,
      gitreproCommit: v(`git -C ${MAIN} rev-parse HEAD 2>/dev/null || echo unknown`),
      gitreproDirty: v(`git -C ${MAIN} status --porcelain -- src hooks bin scripts 2>/dev/null | wc -l`) !== '0',
      gitreproVersion: v('gitrepro --version'),
      git: v('git --version'), lfs: v('git lfs version 2>/dev/null || echo "git-lfs not installed"'), node: process.version, hyperfine: v('hyperfine --version'),
      python: v('python3 --version'), kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30),
      fs: v(`df -T ${W} | tail -1`),
    };
    H.log(`  ${results.meta.git}; ${results.meta.lfs}; node ${process.version}; ${results.meta.hyperfine}; gitrepro ${results.meta.gitreproVersion} @ ${results.meta.gitreproCommit.slice(0, 12)}${results.meta.gitreproDirty ? ' (+ uncommitted changes)' : ''}`);
  };

  /** Writes the results file, prints the report. */
  H.writeResults = (outName) => {
    const outFile = E.BENCH_OUT || path.join(BENCH, 'results', outName);
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n');
    H.log(`results: ${outFile}`);
    spawnSync('node', [path.join(BENCH, 'report.mjs'), outFile], { stdio: 'inherit' });
    return outFile;
  };
  /** Keeps the work dir (BENCH_KEEP=1) or moves it to the trash and deletes the trash. */
  H.cleanUp = () => {
    if (cfg.fsmonitor) {
      // Watchman's watches of this run's repos end with the run
      const r = spawnSync('watchman', ['--no-spawn', '-j', '--no-pretty'], { input: '["watch-list"]', encoding: 'utf8' });
      let roots = [];
      try {
        roots = JSON.parse(r.stdout).roots ?? [];
      } catch {
        // no Watchman running
      }
      for (const root of roots) if (root.startsWith(`${W}/`)) spawnSync('watchman', ['--no-spawn', 'watch-del', root]);
    }
    if (cfg.keep) {
      H.log(`kept ${W} (BENCH_KEEP=1)`);
    } else {
      mkdirSync(TRASH, { recursive: true }); // a run that set nothing aside has none yet
      renameSync(W, path.join(TRASH, `${name}-${stamp}`));
      H.log(`deleting ${TRASH} ...`);
      rmSync(TRASH, { recursive: true, force: true });
      writeFileSync(lastDelete, `${new Date().toISOString()}\n`);
    }
  };
  return H;
}
