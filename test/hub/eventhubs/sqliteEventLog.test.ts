import { SqliteEventLog } from '../../../local/hub/eventhubs/persistence/SqliteEventLog';
import { newEvent, tempDir } from './eventLogFixtures';

describe('SqliteEventLog', () => {
  const dir = tempDir();
  let fileCounter = 0;
  const freshFile = () => dir.file(`events-${++fileCounter}.sqlite`);
  afterAll(() => dir.remove());

  test('lists partitions 0..n-1 and numbers each partition from 0 independently', () => {
    const log = new SqliteEventLog(freshFile(), 4);
    expect(log.partitionIds).toEqual(['0', '1', '2', '3']);
    const seq = (partitionId: string) => log.append(partitionId, newEvent(partitionId), 1000).sequenceNumber;
    expect([seq('0'), seq('0'), seq('2'), seq('0'), seq('2'), seq('3')]).toEqual([0, 1, 0, 2, 1, 0]);
    log.close();
  });

  test('append returns the stored event: offset is the sequence number, fields as given', () => {
    const log = new SqliteEventLog(freshFile(), 2);
    const event = newEvent('a');
    log.append('1', newEvent('first'), 1000);
    expect(log.append('1', event, 1234)).toEqual({ ...event, partitionId: '1', sequenceNumber: 1, offset: '1', enqueuedTimeUtc: 1234 });
    log.close();
  });

  test('read round-trips body, properties, annotations, AMQP properties and partition key', () => {
    const log = new SqliteEventLog(freshFile(), 1);
    const event = newEvent('roundtrip', 'dev-ü');
    event.amqpProperties = {
      messageId: 'm',
      correlationId: 'c',
      userId: 'u',
      to: 't',
      contentType: 'ct',
      contentEncoding: 'ce',
      absoluteExpiryTime: 5,
    };
    const stored = log.append('0', event, 42);
    const [read] = log.read('0', 0, 10);
    expect(read).toEqual(stored);
    expect(Buffer.isBuffer(read.body)).toBe(true);
    expect(read.body.equals(event.body)).toBe(true);
    log.close();
  });

  test('read returns an inclusive ascending range of at most maxCount events', () => {
    const log = new SqliteEventLog(freshFile(), 2);
    for (let i = 0; i < 10; i++) log.append('0', newEvent(`e${i}`), 1000 + i);
    log.append('1', newEvent('other'), 1000);
    expect(log.read('0', 3, 4).map((e) => e.sequenceNumber)).toEqual([3, 4, 5, 6]);
    expect(log.read('0', 8, 100).map((e) => e.sequenceNumber)).toEqual([8, 9]);
    expect(log.read('0', 8, 100).map((e) => e.properties.label)).toEqual(['e8', 'e9']);
    expect(log.read('0', 10, 5)).toEqual([]);
    expect(log.read('0', 0, 0)).toEqual([]);
    expect(log.read('1', 0, 5).map((e) => e.properties.label)).toEqual(['other']);
    log.close();
  });

  test('sequence numbers and enqueued times survive close and reopen', () => {
    const file = freshFile();
    const first = new SqliteEventLog(file, 2);
    first.append('0', newEvent('a'), 1000);
    first.append('0', newEvent('b'), 2000);
    first.append('1', newEvent('c'), 1500);
    first.close();

    const reopened = new SqliteEventLog(file, 2);
    expect(reopened.read('0', 0, 10).map((e) => e.properties.label)).toEqual(['a', 'b']);
    expect(reopened.append('0', newEvent('d'), 3000).sequenceNumber).toBe(2);
    expect(reopened.append('1', newEvent('e'), 3000).sequenceNumber).toBe(1);
    reopened.close();
  });

  test('sequence numbers continue after a partial purge, also across reopen', () => {
    const file = freshFile();
    const log = new SqliteEventLog(file, 1);
    for (let i = 0; i < 5; i++) log.append('0', newEvent(`e${i}`), 100 * (i + 1)); // 100..500
    expect(log.purgeOlderThan(300)).toBe(2);
    expect(log.read('0', 0, 10).map((e) => e.sequenceNumber)).toEqual([2, 3, 4]);
    expect(log.append('0', newEvent('after'), 600).sequenceNumber).toBe(5);
    log.close();

    const reopened = new SqliteEventLog(file, 1);
    expect(reopened.append('0', newEvent('later'), 700).sequenceNumber).toBe(6);
    reopened.close();
  });

  test('purging everything does not reset numbering, in this process or after a restart', () => {
    const file = freshFile();
    const log = new SqliteEventLog(file, 2);
    log.append('0', newEvent('a'), 10);
    log.append('0', newEvent('b'), 20);
    log.append('0', newEvent('c'), 30);
    log.append('1', newEvent('d'), 40);
    expect(log.purgeOlderThan(1000)).toBe(4);
    expect(log.read('0', 0, 10)).toEqual([]);
    log.close();

    const reopened = new SqliteEventLog(file, 2);
    expect(reopened.info('0')).toEqual({
      partitionId: '0',
      beginSequenceNumber: 3,
      lastEnqueuedSequenceNumber: 2,
      lastEnqueuedOffset: '2',
      lastEnqueuedTimeUtc: 30,
      isEmpty: true,
    });
    expect(reopened.append('0', newEvent('e'), 50).sequenceNumber).toBe(3);
    expect(reopened.append('1', newEvent('f'), 50).sequenceNumber).toBe(1);
    // A second purge-everything after more appends keeps counting too.
    expect(reopened.purgeOlderThan(1000)).toBe(2);
    expect(reopened.append('0', newEvent('g'), 60).sequenceNumber).toBe(4);
    reopened.close();
  });

  test('info: empty partition, after appends, after partial and full purge', () => {
    const log = new SqliteEventLog(freshFile(), 2);
    expect(log.info('1')).toEqual({
      partitionId: '1',
      beginSequenceNumber: 0,
      lastEnqueuedSequenceNumber: -1,
      lastEnqueuedOffset: '-1',
      lastEnqueuedTimeUtc: 0,
      isEmpty: true,
    });
    log.append('1', newEvent('a'), 100);
    log.append('1', newEvent('b'), 200);
    log.append('1', newEvent('c'), 300);
    expect(log.info('1')).toEqual({
      partitionId: '1',
      beginSequenceNumber: 0,
      lastEnqueuedSequenceNumber: 2,
      lastEnqueuedOffset: '2',
      lastEnqueuedTimeUtc: 300,
      isEmpty: false,
    });
    log.purgeOlderThan(250);
    expect(log.info('1')).toMatchObject({ beginSequenceNumber: 2, lastEnqueuedSequenceNumber: 2, isEmpty: false });
    log.purgeOlderThan(301);
    expect(log.info('1')).toEqual({
      partitionId: '1',
      beginSequenceNumber: 3,
      lastEnqueuedSequenceNumber: 2,
      lastEnqueuedOffset: '2',
      lastEnqueuedTimeUtc: 300,
      isEmpty: true,
    });
    expect(log.info('0').isEmpty).toBe(true);
    log.close();
  });

  test('purgeOlderThan deletes strictly older events in every partition and counts them', () => {
    const log = new SqliteEventLog(freshFile(), 3);
    log.append('0', newEvent('old0'), 100);
    log.append('0', newEvent('edge0'), 200);
    log.append('2', newEvent('old2'), 150);
    log.append('2', newEvent('new2'), 250);
    expect(log.purgeOlderThan(200)).toBe(2);
    expect(log.read('0', 0, 10).map((e) => e.properties.label)).toEqual(['edge0']);
    expect(log.read('2', 0, 10).map((e) => e.properties.label)).toEqual(['new2']);
    expect(log.purgeOlderThan(200)).toBe(0);
    log.close();
  });

  test('firstSequenceNumberAfterTime finds the first event strictly after the time, else last + 1', () => {
    const log = new SqliteEventLog(freshFile(), 2);
    [100, 200, 200, 300].forEach((time, i) => log.append('0', newEvent(`e${i}`), time));
    expect(log.firstSequenceNumberAfterTime('0', 50)).toBe(0);
    expect(log.firstSequenceNumberAfterTime('0', 100)).toBe(1);
    expect(log.firstSequenceNumberAfterTime('0', 199)).toBe(1);
    expect(log.firstSequenceNumberAfterTime('0', 200)).toBe(3);
    expect(log.firstSequenceNumberAfterTime('0', 300)).toBe(4);
    expect(log.firstSequenceNumberAfterTime('1', 0)).toBe(0);
    log.purgeOlderThan(250);
    expect(log.firstSequenceNumberAfterTime('0', 0)).toBe(3);
    log.purgeOlderThan(1000);
    expect(log.firstSequenceNumberAfterTime('0', 0)).toBe(4);
    log.close();
  });

  test('enqueued time never goes backwards within a partition, even when the clock does', () => {
    const file = freshFile();
    const log = new SqliteEventLog(file, 2);
    expect(log.append('0', newEvent('a'), 5000).enqueuedTimeUtc).toBe(5000);
    expect(log.append('0', newEvent('b'), 4000).enqueuedTimeUtc).toBe(5000);
    expect(log.append('0', newEvent('c'), 6000).enqueuedTimeUtc).toBe(6000);
    // Another partition has its own clock floor.
    expect(log.append('1', newEvent('d'), 1000).enqueuedTimeUtc).toBe(1000);
    log.purgeOlderThan(10_000);
    expect(log.append('0', newEvent('e'), 10).enqueuedTimeUtc).toBe(6000);
    log.close();

    const reopened = new SqliteEventLog(file, 2);
    expect(reopened.append('0', newEvent('f'), 20).enqueuedTimeUtc).toBe(6000);
    expect(reopened.read('0', 0, 10).map((e) => e.enqueuedTimeUtc)).toEqual([6000, 6000]);
    reopened.close();
  });

  test('a different partition count than the file holds is refused with a way out', () => {
    const file = freshFile();
    new SqliteEventLog(file, 4).close();
    expect(() => new SqliteEventLog(file, 8)).toThrow(/has 4 partitions, but 8 were asked for/);
    expect(() => new SqliteEventLog(file, 2)).toThrow(/cannot be repartitioned.*deleting .*events-\d+\.sqlite/s);
    const again = new SqliteEventLog(file, 4);
    expect(again.partitionIds).toHaveLength(4);
    again.close();
  });

  test('a partition count that is not a positive whole number is refused', () => {
    expect(() => new SqliteEventLog(freshFile(), 0)).toThrow(/at least 1/);
    expect(() => new SqliteEventLog(freshFile(), 2.5)).toThrow(/at least 1/);
  });

  test('unknown partition ids throw an Error naming the id', () => {
    const log = new SqliteEventLog(freshFile(), 4);
    for (const id of ['4', '-1', 'x', '01', '']) {
      expect(() => log.append(id, newEvent('a'), 1)).toThrow(`Unknown partition id '${id}'`);
    }
    expect(() => log.read('9', 0, 1)).toThrow("Unknown partition id '9'");
    expect(() => log.info('9')).toThrow("Unknown partition id '9'");
    expect(() => log.firstSequenceNumberAfterTime('9', 0)).toThrow("Unknown partition id '9'");
    expect(log.info('0').lastEnqueuedSequenceNumber).toBe(-1);
    log.close();
  });

  test('10,000 appends take well under a second', () => {
    const log = new SqliteEventLog(freshFile(), 4);
    const event = newEvent('bench');
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) log.append(String(i % 4), event, 1000 + i);
    const elapsed = performance.now() - started;
    expect(log.info('3').lastEnqueuedSequenceNumber).toBe(2499);
    expect(elapsed).toBeLessThan(1000);
    log.close();
  });
});
