/** Environment snapshot schema (DESIGN §6). Placeholder: replaced by the env collector's full schema. */
import { z } from 'zod';

export const envSnapshotSchema = z.record(z.string(), z.unknown());
export type EnvSnapshot = z.infer<typeof envSnapshotSchema>;
