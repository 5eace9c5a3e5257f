/**
 * Where the browser tests find Chromium: what test/browser/global-setup.ts provided (Debian's
 * chromium, driven by playwright-core), or why there is none.
 */
import { inject } from 'vitest';

export type BrowserProvided = { ok: true; executable: string } | { ok: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    gitreproBrowser: BrowserProvided;
  }
}

/**
 * Launch flags for this machine's closed network: without the background-networking flags
 * Chromium's own connections (component updates, sync, QUIC probes) are refused and logged.
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function browserTestEnv(): BrowserProvided {
  return (inject('gitreproBrowser') as BrowserProvided | undefined) ?? { ok: false, reason: 'test/browser/global-setup.ts is not wired into vitest.config.ts' };
}
