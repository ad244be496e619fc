import fc from 'fast-check';
import { mapBounded } from '../../functions/src/mapBounded';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** fn for mapBounded that records how many calls are in flight; each call takes delays[index] ms. */
function tracked(delays: readonly number[]) {
  const stats = { inFlight: 0, peak: 0, calls: [] as number[] };
  const fn = async (item: string, index: number): Promise<string> => {
    stats.calls.push(index);
    stats.inFlight += 1;
    stats.peak = Math.max(stats.peak, stats.inFlight);
    await sleep(delays[index]);
    stats.inFlight -= 1;
    return `${item}@${index}`;
  };
  return { fn, stats };
}

describe('mapBounded', () => {
  test("results come in the items' order, whatever order the calls finish in", async () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const { fn, stats } = tracked([25, 20, 15, 10, 5]);
    expect(await mapBounded(items, 3, fn)).toEqual(['a@0', 'b@1', 'c@2', 'd@3', 'e@4']);
    expect(stats.calls).toEqual([0, 1, 2, 3, 4]);
    expect(stats.peak).toBe(3);
  });

  test('at most `limit` calls in flight, every item called once (random delays)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 4 }), { maxLength: 30 }), fc.integer({ min: 1, max: 8 }), async (delays, limit) => {
        const items = delays.map((_, i) => `item-${i}`);
        const { fn, stats } = tracked(delays);
        expect(await mapBounded(items, limit, fn)).toEqual(items.map((item, i) => `${item}@${i}`));
        expect([...stats.calls].sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
        expect(stats.peak).toBe(Math.min(limit, items.length));
      }),
      { numRuns: 60 },
    );
  });

  test('no items, no calls', async () => {
    const { fn, stats } = tracked([]);
    expect(await mapBounded([], 4, fn)).toEqual([]);
    expect(stats.calls).toEqual([]);
  });

  test('a failed call fails the whole map with its error', async () => {
    const fn = async (item: number): Promise<number> => {
      await sleep(1);
      if (item === 3) throw new Error('item 3 broke');
      return item;
    };
    await expect(mapBounded([1, 2, 3, 4, 5], 2, fn)).rejects.toThrow('item 3 broke');
  });

  test('a limit that is not a positive integer is refused', async () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) await expect(mapBounded([1], limit, async (item) => item)).rejects.toThrow(RangeError);
  });
});
