/**
 * A damaged copy of an object in one local pack, read by its own index entry (gc writing a pack's
 * kept objects out before the pack goes): that pack goes to quarantine, never another pack that
 * holds a good copy of the same object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalStore } from '../../src/store/local.js';
import { sha256 as hex } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const packIds = (state: string): string[] => readdirSync(path.join(state, 'packs')).filter((n) => n.endsWith('.idx')).map((n) => n.slice(0, -4));

it('a damaged packed copy read by its own entry sends its own pack to quarantine, not the one with a good copy', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gr-quarantine-'));
  dirs.push(dir);
  const state = path.join(dir, 'state');
  const good = randomBytes(5000);
  const sha = hex(good);
  const bad = Buffer.from(good);
  bad[100]! ^= 0xff;
  const other = randomBytes(3000);
  const writer = new LocalStore(state);
  // the damaged copy first, in a pack with another object; a good copy later, in a pack of its own
  await writer.packs.write([{ ref: { sha256: sha, size: bad.length }, bytes: bad }, { ref: { sha256: hex(other), size: other.length }, bytes: other }]);
  const [damaged] = packIds(state);
  await writer.packs.write([{ ref: { sha256: sha, size: good.length }, bytes: good }]);
  const [intact] = packIds(state).filter((id) => id !== damaged);
  expect(intact).toBeDefined();

  const store = new LocalStore(state); // as a later process opens it
  const at = store.packs.packEntries(damaged!).get(sha)!;
  expect(at.pack).toBe(damaged);
  await expect(store.loosePath(sha, at)).rejects.toMatchObject({ code: 'GITREPRO_OBJECT_CORRUPT' });
  expect(packIds(state)).toEqual([intact]);
  expect(readdirSync(path.join(state, 'quarantine')).map((n) => n.split('.')[0])).toEqual([damaged, damaged]);
  // the good copy still serves, checked
  const fresh = new LocalStore(state);
  expect(await fresh.loosePath(sha)).toBe(fresh.objectPath(sha));
  expect(await fresh.verify(sha)).toBe(true);
});
