import { formatBytes, formatDuration, formatPercent, formatTime, shortHash } from '../../../dashboard/src/model/format';

test.each([
  [0, '0 ms'],
  [850.4, '850 ms'],
  [4200, '4.2 s'],
  [42_000, '42 s'],
  [200_000, '3 min 20 s'],
  [180_000, '3 min'],
  [7_500_000, '2 h 5 min'],
  [7_200_000, '2 h'],
])('formatDuration(%p) = %p', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});

test.each([
  [512, '512 bytes'],
  [1536, '1.5 KiB'],
  [12 * 1024 * 1024, '12.0 MiB'],
  [3 * 1024 ** 4, '3072.0 GiB'],
])('formatBytes(%p) = %p', (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});

test('shortHash keeps the first 12 digits', () => {
  expect(shortHash('a'.repeat(64))).toBe(`${'a'.repeat(12)}…`);
  expect(shortHash('abc')).toBe('abc');
});

test('formatTime is local time, with milliseconds on request, and leaves a non-time alone', () => {
  const at = new Date(2026, 0, 2, 3, 4, 5, 67);
  expect(formatTime(at.toISOString())).toBe('2026-01-02 03:04:05');
  expect(formatTime(at.toISOString(), true)).toBe('2026-01-02 03:04:05.067');
  expect(formatTime('soon')).toBe('soon');
});

test('formatPercent drops trailing zeros', () => {
  expect(formatPercent(12.5)).toBe('12.5 %');
  expect(formatPercent(66.666)).toBe('66.67 %');
  expect(formatPercent(0)).toBe('0 %');
});
