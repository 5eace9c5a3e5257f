/**
 * GITREPRO_TRACE=1 prints phase timings to stderr (like GIT_TRACE_PERFORMANCE): where a hook's
 * milliseconds go, measured, without a profiler. A leaf module: imports only settings.
 */
import { setting } from './settings.js';

const on = setting('GITREPRO_TRACE');
const t0 = performance.now();

export function trace(label: string): void {
  if (on) process.stderr.write(`gitrepro trace: ${(performance.now() - t0).toFixed(1).padStart(7)} ms  ${label}\n`);
}
