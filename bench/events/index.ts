/**
 * Event path benchmark: a device's reported patch → twin-change event on the built-in
 * Event Hub-compatible endpoint → an unmodified EventHubConsumerClient subscribed to all partitions.
 *   - latency from the device SDK's update call to the event reaching (a) a bare AMQP receiver
 *     link (rhea): the endpoint's own latency, and (b) EventHubConsumerClient's processEvents,
 *     which adds the SDK's 20 ms batching window; N devices connected, reporting at a steady pace
 *   - sustained events/s: every device reports as fast as the hub acknowledges, until `events`
 *     events have reached the consumer
 * Usage: npm run bench:events [-- --devices 1000 --samples 2000 --rate 500 --events 30000]
 */
import { EventHubConsumerClient, latestEventPosition, type ReceivedEventData } from '@azure/event-hubs';
import type { Twin } from 'azure-iot-device';
import { HubProcess } from '../../local/stack/HubProcess';
import { machine, openInBatches, parseArgs, rssMiB } from '../support/hubProcess';
import { rawEventHubReceiver } from '../support/rawEventHubReceiver';
import { ms, summarize } from '../support/stats';

const args = parseArgs({ devices: 1000, samples: 2000, rate: 500, events: 30000 });

interface Tagged {
  bench?: { run: string; n: number };
}

async function main(): Promise<void> {
  const hub = await new HubProcess().start();
  const consumer = new EventHubConsumerClient('$Default', hub.info.eventHubs.connectionString);
  try {
    const ids = Array.from({ length: args.devices }, (_, i) => `ev-${i}`);
    const clients = await hub.deviceClients(ids);
    await openInBatches(clients, 100);
    const twins: Twin[] = await Promise.all(clients.map((c) => c.getTwin()));

    // Each consumer resolves a waiter per (run, n) tag when its event arrives.
    const waiters = new Map<string, () => void>();
    const rawWaiters = new Map<string, () => void>();
    const raw = await rawEventHubReceiver(hub.info, (message) => {
      const tag = (JSON.parse((message.body as { content: Buffer }).content.toString()) as { properties?: { reported?: Tagged } })
        .properties?.reported?.bench;
      if (tag) rawWaiters.get(`${tag.run}/${tag.n}`)?.();
    });
    let received = 0;
    const subscription = consumer.subscribe(
      {
        processEvents: async (events: ReceivedEventData[]) => {
          for (const event of events) {
            const tag = (event.body as { properties?: { reported?: Tagged } }).properties?.reported?.bench;
            if (!tag) continue;
            received++;
            waiters.get(`${tag.run}/${tag.n}`)?.();
          }
        },
        processError: async (error) => console.error('consumer error:', error.message),
      },
      { startPosition: latestEventPosition, maxBatchSize: 500, maxWaitTimeInSeconds: 0.05 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // receivers attached on every partition

    const report = (twin: Twin, bench: Tagged['bench']) =>
      new Promise<void>((resolve, reject) => twin.properties.reported.update({ bench }, (err?: Error) => (err ? reject(err) : resolve())));
    const arrival = (map: Map<string, () => void>, key: string) => new Promise<void>((resolve) => map.set(key, resolve));

    // Latency: paced reports from devices in turn.
    const latencies: number[] = [];
    const rawLatencies: number[] = [];
    const gapMs = 1000 / args.rate;
    const inFlight: Promise<void>[] = [];
    for (let n = 0; n < args.samples; n++) {
      const key = `lat/${n}`;
      const arrived = arrival(waiters, key);
      const arrivedRaw = arrival(rawWaiters, key);
      const start = process.hrtime.bigint();
      const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6;
      inFlight.push(
        arrived.then(() => void latencies.push(elapsed())),
        arrivedRaw.then(() => void rawLatencies.push(elapsed())),
      );
      void report(twins[n % twins.length], { run: 'lat', n });
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await Promise.all(inFlight);
    waiters.clear();
    raw.close();

    // Throughput: all devices report back to back until `events` events reached the consumer.
    received = 0;
    const perDevice = Math.ceil(args.events / twins.length);
    const started = process.hrtime.bigint();
    const done = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (received >= perDevice * twins.length) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    await Promise.all(
      twins.map(async (twin, d) => {
        for (let i = 0; i < perDevice; i++) await report(twin, { run: 'tput', n: d * perDevice + i });
      }),
    );
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const total = perDevice * twins.length;

    const latency = summarize(latencies);
    const rawLatency = summarize(rawLatencies);
    console.log(`machine: ${machine()}`);
    console.log(
      `reported patch → twin-change event on an AMQP receiver link, ${args.devices} devices, ${args.rate}/s, n=${rawLatency.n}: p50 ${ms(rawLatency.p50)}, p99 ${ms(rawLatency.p99)} (target p50 < 10 ms)`,
    );
    console.log(
      `reported patch → EventHubConsumerClient processEvents (SDK batches for 20 ms), n=${latency.n}: p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}`,
    );
    console.log(
      `sustained: ${total} events in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} events/s end to end (target >= 5000/s)`,
    );
    console.log(`hub RSS after the run: ${rssMiB(hub.pid)} MiB`);
    await subscription.close();
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await consumer.close();
    await hub.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
