/**
 * `gitrepro trust [--show]`: the settings of gitrepro.yaml that others changed and this clone has
 * not accepted (store remotes, widened track patterns, env.allow, env.packages; repo/trust.ts),
 * and accepting them: the clone then uses the settings as they are now.
 */
import { openRepo, requireSetUp } from '../repo/context.js';
import { acceptItems, trustItems, trustState, type PendingSetting } from '../repo/trust.js';

export type { PendingSetting };

export interface TrustResult {
  /** what was waiting for consent (with --show: what still is) */
  pending: PendingSetting[];
  /** true when the settings were accepted by this call */
  accepted: boolean;
}

export async function trust(o: { cwd: string; show?: boolean }): Promise<TrustResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const { pending } = await trustState(repo);
  if (o.show) return { pending, accepted: false };
  await acceptItems(repo, trustItems(repo.config), { replace: true });
  return { pending, accepted: true };
}
