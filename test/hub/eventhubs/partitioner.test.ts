import fc from 'fast-check';
import { partitionFor } from '../../../local/hub/eventhubs/routing/partitioner';

describe('partitionFor', () => {
  test('is FNV-1a 32 of the UTF-8 id (published test vectors), so it is stable across processes', () => {
    const whole = 2 ** 32; // mod 2^32 leaves the hash itself
    expect(partitionFor('', whole)).toBe(0x811c9dc5);
    expect(partitionFor('a', whole)).toBe(0xe40c292c);
    expect(partitionFor('foobar', whole)).toBe(0xbf9cf968);
    expect(partitionFor('device-1', 4)).toBe(partitionFor('device-1', 4));
  });

  test('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is one UTF-16 unit but two UTF-8 bytes (0xc3 0xa9); FNV-1a of those bytes:
    let hash = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) hash = Math.imul(hash ^ byte, 0x01000193);
    expect(partitionFor('é', 2 ** 32)).toBe(hash >>> 0);
  });

  test('spreads 1,000 device ids over 4 partitions with none empty or crowded', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[partitionFor(`device-${i}`, 4)]++;
    for (const count of counts) {
      expect(count).toBeGreaterThan(150);
      expect(count).toBeLessThan(350);
    }
  });

  test('same id, same partition, always in range', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 1024 }), (deviceId, count) => {
        const partition = partitionFor(deviceId, count);
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(count);
        expect(partitionFor(deviceId, count)).toBe(partition);
      }),
    );
  });

  test('refuses a partition count below 1 or not whole', () => {
    expect(() => partitionFor('d', 0)).toThrow(RangeError);
    expect(() => partitionFor('d', 1.5)).toThrow(RangeError);
  });
});
