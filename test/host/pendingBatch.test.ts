import type { ReceivedEventData } from '@azure/event-hubs';
import { PendingBatch } from '../../local/host/triggers/eventHub/EventHubListener';

const events = (from: number, count: number): ReceivedEventData[] =>
  Array.from({ length: count }, (_, i) => ({ body: from + i, sequenceNumber: from + i }) as unknown as ReceivedEventData);
const numbers = (batches: ReceivedEventData[][]) => batches.map((batch) => batch.map((event) => event.sequenceNumber));

describe('Event Hub trigger batching (minEventBatchSize, maxWaitTime, maxEventBatchSize)', () => {
  test('events wait until the batch reaches minEventBatchSize', () => {
    const pending = new PendingBatch({ minEventBatchSize: 5, maxEventBatchSize: 100, maxWaitMs: 100 });
    expect(pending.add(events(0, 3), 0)).toEqual([]);
    expect(numbers(pending.add(events(3, 2), 10))).toEqual([[0, 1, 2, 3, 4]]);
    expect(pending.add([], 20)).toEqual([]);
  });

  test('a partial batch is handed over once its first event has waited maxWaitTime, even when nothing more came', () => {
    const pending = new PendingBatch({ minEventBatchSize: 50, maxEventBatchSize: 100, maxWaitMs: 100 });
    expect(pending.add(events(0, 2), 1000)).toEqual([]);
    expect(pending.add(events(2, 1), 1050)).toEqual([]);
    expect(numbers(pending.add([], 1100))).toEqual([[0, 1, 2]]);
    // The clock starts again with the next first event.
    expect(pending.add(events(3, 1), 1500)).toEqual([]);
    expect(numbers(pending.add([], 1600))).toEqual([[3]]);
  });

  test('more than maxEventBatchSize events go in several batches, in order', () => {
    const pending = new PendingBatch({ minEventBatchSize: 1, maxEventBatchSize: 4, maxWaitMs: 60_000 });
    expect(numbers(pending.add(events(0, 10), 0))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });
});
