/**
 * git blob ids computed by gitrepro (git/revs.ts blobId) equal git's own, in sha1 and sha256
 * repositories: a push takes the pointers of packed objects by computing their blob ids
 * (repo/object-plan.ts), so a wrong id would make it read pointers it did not need, or worse.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobId } from '../../src/git/revs.js';
import { formatPointer } from '../../src/record/pointer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gr-blobid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gitHash(format: 'sha1' | 'sha256', text: string): string {
  const repo = path.join(dir, format);
  execFileSync('git', ['init', '-q', `--object-format=${format}`, repo]);
  return execFileSync('git', ['hash-object', '--stdin'], { cwd: repo, input: text, encoding: 'utf8' }).trim();
}

describe('blobId', () => {
  const pointer = formatPointer({ sha256: 'ab'.repeat(32), size: 4096 });
  for (const format of ['sha1', 'sha256'] as const) {
    it(`equals git hash-object in a ${format} repository (string and buffer input)`, () => {
      const want = gitHash(format, pointer);
      expect(want).toHaveLength(format === 'sha1' ? 40 : 64);
      expect(blobId(pointer, format)).toBe(want);
      expect(blobId(Buffer.from(pointer), format)).toBe(want);
      expect(blobId(`${pointer}x`, format)).not.toBe(want);
    });
  }
});
