/**
 * Hashing with node:crypto sha256 and 1 MiB reads (about 1.4 GiB/s here; Node's default
 * 64 KiB streams halve that). The reading loop is receive.ts's, so hashing a file and copying it
 * while hashing share one implementation.
 */
import { createHash } from 'node:crypto';
import { hashSource, openSource } from './receive.js';

export { sha256Hex } from './receive.js';

export { CHUNK } from './receive.js';

export interface HashResult {
  sha256: string;
  size: number;
}

/**
 * Hashes a regular file. A symbolic link is refused unless `follow` (a pipeline dep may name a
 * dataset elsewhere on purpose); a FIFO or device is refused without blocking.
 */
export async function hashFile(file: string, o: { follow?: boolean } = {}): Promise<HashResult> {
  return hashSource(await openSource(file, { follow: o.follow }));
}

export function sha256Buffer(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

