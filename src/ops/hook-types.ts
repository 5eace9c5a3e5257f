/**
 * The types of what hook operations return (the data cli/hook-messages.ts words), for the CLI,
 * which imports operations only. Defined in repo/hook-context.ts and repo/object-plan.ts.
 */
export type { HookContext, HookNote, HookResult, RestoreReport } from '../repo/hook-context.js';
export type { GateProblem } from '../repo/object-plan.js';
