import { describe, expect, it } from 'vitest';
import { HotCache } from '../../services/gateway/hot-cache.js';

describe('HotCache', () => {
  it('stays within its capacity and evicts the oldest entry not used since it was stored', () => {
    const sizes: number[] = [];
    const cache = new HotCache<string>(4, (size) => sizes.push(size));
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, key.toUpperCase(), 1);
    expect(cache.get('a')).toBe('A'); // a gets a second chance
    cache.set('e', 'E', 1);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd', 'e'].map((key) => cache.get(key))).toEqual(['A', 'C', 'D', 'E']);
    expect(sizes.at(-1)).toBe(4);
  });

  it('evicts in insertion order once every entry has had its second chance', () => {
    const cache = new HotCache<number>(4);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, i, 1);
    for (const key of ['a', 'b', 'c', 'd']) cache.get(key);
    cache.set('e', 4, 1);
    expect(cache.get('a')).toBeUndefined();
    expect(['b', 'c', 'd', 'e'].map((key) => cache.get(key))).toEqual([1, 2, 3, 4]);
  });

  it('counts sizes, replaces a key in place and refuses a value larger than a quarter of it', () => {
    const sizes: number[] = [];
    const cache = new HotCache<string>(100, (size) => sizes.push(size));
    cache.set('x', 'one', 30);
    cache.set('x', 'two', 20);
    expect(cache.get('x')).toBe('two');
    expect(sizes.at(-1)).toBe(20);
    cache.set('huge', 'no', 26);
    expect(cache.get('huge')).toBeUndefined();
    cache.delete('x');
    expect(sizes.at(-1)).toBe(0);
  });
});
