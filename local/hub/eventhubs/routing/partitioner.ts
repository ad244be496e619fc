/**
 * The partition a device's events go to: FNV-1a (32-bit) of the UTF-8 device id, mod the
 * partition count. Stable across processes and restarts, so one device's events stay in one
 * partition, in order. (IoT Hub's own hash is undocumented; only the stability matters.)
 */
export function partitionFor(deviceId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a whole number of at least 1, not ${partitionCount}.`);
  }
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(deviceId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitionCount;
}
