import { describe, expect, it } from 'vitest';
import { parseRewriteInput } from '../../src/ops/post-rewrite.js';
import { mergeSnapshots } from '../../src/ops/merge.js';

const e = (c: string) => ({ sha256: c.repeat(64), size: 1, exec: false });

describe('post-rewrite stdin', () => {
  it('maps each new commit to the commits it was rewritten from (squash: several)', () => {
    const a = 'a'.repeat(40), b = 'b'.repeat(40), c = 'c'.repeat(40);
    const m = parseRewriteInput(`${a} ${c}\n${b} ${c} extra\n\ngarbage line\n`);
    expect([...m]).toEqual([[c, [a, b]]]);
  });
});

describe('three-way snapshot merge', () => {
  it('takes each side\'s changes and flags paths changed differently on both', () => {
    const base = new Map([['same', e('1')], ['ours', e('1')], ['theirs', e('1')], ['both', e('1')], ['gone', e('1')]]);
    const ours = new Map([['same', e('1')], ['ours', e('2')], ['theirs', e('1')], ['both', e('2')], ['added', e('5')]]);
    const theirs = new Map([['same', e('1')], ['ours', e('1')], ['theirs', e('3')], ['both', e('3')], ['gone', e('1')]]);
    const plan = mergeSnapshots(base, ours, theirs);
    expect(plan.conflicts.map((c) => c.path)).toEqual(['both']);
    expect(plan.merged.get('ours')).toEqual(e('2'));
    expect(plan.merged.get('theirs')).toEqual(e('3'));
    expect(plan.merged.has('gone')).toBe(false);
    expect(plan.merged.get('added')).toEqual(e('5'));
  });
});
