import { EventHubConsumerClient, earliestEventPosition, type ReceivedEventData, type Subscription } from '@azure/event-hubs';
import type { Client as DeviceClient } from 'azure-iot-device';
import { HubFixture, eventually } from '../support/hubFixture';

/** A device's reported-properties writer: the twin is fetched once, then each patch is one MQTT publish. */
async function reporter(client: DeviceClient): Promise<(patch: Record<string, unknown>) => Promise<void>> {
  const twin = await client.getTwin();
  return (patch) =>
    new Promise((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())));
}

interface Delivery {
  partitionId: string;
  sequenceNumber: number;
  /** `<device>/<round>/<step>`, from a reported patch or a telemetry body. */
  label: string;
}

/** One subscription from earliest on every partition, recording every event it is handed. */
class Tally {
  readonly deliveries: Delivery[] = [];
  readonly errors: Error[] = [];
  private readonly subscription: Subscription;

  constructor(
    readonly name: string,
    client: EventHubConsumerClient,
    maxBatchSize: number,
  ) {
    const handlers = {
      processEvents: async (events: ReceivedEventData[], context: { partitionId: string }) => {
        for (const event of events) {
          this.deliveries.push({ partitionId: context.partitionId, sequenceNumber: event.sequenceNumber, label: labelOf(event) });
        }
      },
      processError: async (error: Error) => void this.errors.push(error),
    };
    // Small batches and a short wait: the SDK adds credit after every batch, so flow frames arrive all the time.
    this.subscription = client.subscribe(handlers, { startPosition: earliestEventPosition, maxBatchSize, maxWaitTimeInSeconds: 0.05 });
  }

  /** `<partition>/<sequence number>` of every event handed over more than once. */
  duplicates(): string[] {
    const seen = new Set<string>();
    const twice = new Set<string>();
    for (const { partitionId, sequenceNumber } of this.deliveries) {
      const key = `${partitionId}/${sequenceNumber}`;
      if (seen.has(key)) twice.add(key);
      seen.add(key);
    }
    return [...twice];
  }

  missing(expected: string[]): string[] {
    const labels = new Set(this.deliveries.map((d) => d.label));
    return expected.filter((label) => !labels.has(label));
  }

  close(): Promise<void> {
    return this.subscription.close();
  }
}

function labelOf(event: ReceivedEventData): string {
  const body = event.body as { round?: unknown; step?: unknown; properties?: { reported?: { round?: unknown; step?: unknown } } };
  const fields = body.properties?.reported ?? body;
  return `${String(event.systemProperties?.['iothub-connection-device-id'])}/${String(fields.round)}/${String(fields.step)}`;
}

const labels = (deviceId: string, round: number | string, steps: number) =>
  Array.from({ length: steps }, (_, step) => `${deviceId}/${round}/${step}`);

const ROUNDS = 60;
const PATCHES = 20;
const DEVICES = ['once-a', 'once-b', 'once-c'];

describe('exactly-once delivery on healthy links of the built-in endpoint', () => {
  const fx = new HubFixture({ partitionCount: 2, consumerGroups: ['second'] });
  const clients: EventHubConsumerClient[] = [];
  const tallies: Tally[] = [];
  const consumer = (group: string) => {
    const client = new EventHubConsumerClient(group, fx.hub.eventHubs.connectionString);
    clients.push(client);
    return client;
  };

  beforeAll(() => fx.start());
  afterAll(async () => {
    await Promise.allSettled(tallies.map((t) => t.close()));
    await Promise.allSettled(clients.map((c) => c.close()));
    await fx.stop();
  });

  test(`${ROUNDS} rounds of ${PATCHES} reported patches in a row per device: five subscriptions get each event once`, async () => {
    const reporters = await Promise.all(DEVICES.map(async (id) => reporter(await fx.connectDevice(id))));
    const subscriptions = [
      ['$Default', 2],
      ['$Default', 10],
      ['second', 3],
      ['second', 5],
    ] as const;
    const rounds = subscriptions.map(([group, batch]) => new Tally(`${group}, maxBatchSize ${batch}`, consumer(group), batch));
    tallies.push(...rounds);

    for (let round = 0; round < ROUNDS; round++) {
      // One more from earliest halfway: it catches up on a backlog while new events keep arriving.
      if (round === ROUNDS / 2) {
        rounds.push(new Tally('second, maxBatchSize 4, joined halfway', consumer('second'), 4));
        tallies.push(rounds[rounds.length - 1]);
      }
      await Promise.all(
        reporters.map(async (send) => {
          for (let step = 0; step < PATCHES; step++) await send({ round, step });
        }),
      );
      const expected = DEVICES.flatMap((id) => labels(id, round, PATCHES));
      await eventually(
        () => {
          for (const tally of rounds) {
            expect({ tally: tally.name, missing: tally.missing(expected) }).toEqual({ tally: tally.name, missing: [] });
          }
        },
        10000,
        10,
      );
      for (const tally of rounds) {
        expect({ tally: tally.name, round, duplicates: tally.duplicates() }).toEqual({ tally: tally.name, round, duplicates: [] });
      }
    }

    // A duplicate of a round's last event could trail its original: give it time to show up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const tally of rounds) {
      const outcome = { tally: tally.name, duplicates: tally.duplicates(), errors: tally.errors };
      expect(outcome).toEqual({ tally: tally.name, duplicates: [], errors: [] });
      expect(tally.deliveries).toHaveLength(ROUNDS * PATCHES * DEVICES.length);
    }
  });

  test('a backlog larger than the session buffer (2048 deliveries) reaches a consumer with little credit, whole and once', async () => {
    const BACKLOG = 2500;
    // Telemetry into the router the device endpoint feeds: a backlog on one partition in milliseconds.
    for (let step = 0; step < BACKLOG; step++) {
      const body = Buffer.from(JSON.stringify({ round: 'backlog', step }));
      const enqueuedTime = new Date().toISOString();
      fx.hub.router.routeTelemetry({ deviceId: 'once-backlog', body, properties: {}, systemProperties: {}, enqueuedTime });
    }
    // maxBatchSize 50: the SDK grants 150 credits at a time, far less than the backlog.
    const tally = new Tally('backlog', consumer('$Default'), 50);
    tallies.push(tally);
    const expected = labels('once-backlog', 'backlog', BACKLOG);
    await eventually(() => expect(tally.missing(expected).length).toBe(0), 20000, 20);
    expect({ duplicates: tally.duplicates(), errors: tally.errors }).toEqual({ duplicates: [], errors: [] });
    expect(tally.deliveries.filter((d) => d.label.startsWith('once-backlog/'))).toHaveLength(BACKLOG);
  });
});
