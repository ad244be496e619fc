/**
 * Where per-device summaries live: a rollout's targets are spread over a fixed number of shards
 * by a hash of the device id, so that one device is found from its id alone (GET …/devices/{id})
 * and a listing reads shard after shard. The shard count is fixed when the rollout is planned and
 * is at most MAX_DEVICE_SHARDS, so the rollout orchestration initialises at most that many shards
 * whatever the fleet size; a shard holds about DEVICE_SHARD_SIZE devices up to
 * MAX_DEVICE_SHARDS * DEVICE_SHARD_SIZE targets and more beyond.
 */

/**
 * Every update reads and writes the whole shard (entity state is one JSON document), so a shard
 * is kept small: 100 records with their timelines are ~200 KB, and a 10,000-device rollout still
 * fits in 100 shards. Trackers send a shard at most one update a second, whatever its size.
 */
export const DEVICE_SHARD_SIZE = 100;
export const MAX_DEVICE_SHARDS = 100;

export function shardCountFor(deviceCount: number): number {
  return Math.min(MAX_DEVICE_SHARDS, Math.max(1, Math.ceil(deviceCount / DEVICE_SHARD_SIZE)));
}

/** FNV-1a (32 bit) over the UTF-16 code units: stable across hosts and versions, no crypto needed. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function shardOf(deviceId: string, shardCount: number): number {
  if (!Number.isSafeInteger(shardCount) || shardCount < 1) throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`);
  return fnv1a32(deviceId) % shardCount;
}

/** The items of each shard, in the order given; every shard is present, possibly empty. */
export function groupByShard<T>(items: readonly T[], shardCount: number, idOf: (item: T) => string): T[][] {
  const shards: T[][] = Array.from({ length: shardCount }, () => []);
  for (const item of items) shards[shardOf(idOf(item), shardCount)].push(item);
  return shards;
}
