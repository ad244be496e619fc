/**
 * IoT Hub emulator benchmark: the hub runs as `fleetwave hub` in its own process, driven by the
 * unmodified SDKs from this one.
 *   - time to connect N device clients (MQTT over TLS, SAS), opened in batches
 *   - direct method round trip through azure-iothub Client (HTTPS) → device → back, p50/p99
 *   - reported-property patch acknowledgement through the device SDK, p50/p99
 *   - the query engine alone: a filter and a GROUP BY over 10,000 twins in memory, best of 10
 * Usage: npm run bench:hub [-- --devices 1000 --samples 2000 --batch 100]
 */
import type { Twin } from 'azure-iot-device';
import { Client as ServiceClient } from 'azure-iothub';
import { parseQuery } from '../../contracts/twinQuery';
import { runQuery } from '../../local/hub/query';
import { HubProcess } from '../../local/stack/HubProcess';
import { machine, openInBatches, parseArgs, rssMiB } from '../support/hubProcess';
import { ms, summarize, timed } from '../support/stats';

const { devices: DEVICES, samples: SAMPLES, batch: BATCH } = parseArgs({ devices: 1000, samples: 2000, batch: 100 });

async function main(): Promise<void> {
  const hub = await new HubProcess().start();
  try {
    const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${i}`);
    const clients = await hub.deviceClients(ids);
    const connect = await timed(() => openInBatches(clients, BATCH));
    const hubRss = rssMiB(hub.pid);

    // Method round trips, one at a time so each sample is a clean latency.
    const service = ServiceClient.fromConnectionString(hub.info.serviceConnectionString);
    clients[0].onDeviceMethod('ping', (_req, res) => res.send(200, { ok: true }, () => undefined));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const methodSamples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      methodSamples.push(
        (await timed(() => service.invokeDeviceMethod(ids[0], { methodName: 'ping', payload: i, responseTimeoutInSeconds: 10 }))).ms,
      );
    }

    const twin: Twin = await clients[1].getTwin();
    const reportSamples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { ms: took } = await timed(
        () =>
          new Promise<void>((resolve, reject) =>
            twin.properties.reported.update({ counter: i }, (err?: Error) => (err ? reject(err) : resolve())),
          ),
      );
      reportSamples.push(took);
    }

    const method = summarize(methodSamples);
    const report = summarize(reportSamples);
    console.log(`machine: ${machine()}`);
    console.log(`connect ${DEVICES} device clients (batches of ${BATCH}): ${(connect.ms / 1000).toFixed(2)} s (target < 5 s)`);
    console.log(`hub RSS with ${DEVICES} devices connected: ${hubRss} MiB`);
    console.log(
      `direct method round trip (azure-iothub → device → back), n=${method.n}: p50 ${ms(method.p50)}, p99 ${ms(method.p99)} (target p50 < 2 ms)`,
    );
    console.log(`reported patch acknowledgement, n=${report.n}: p50 ${ms(report.p50)}, p99 ${ms(report.p99)} (target p50 < 2 ms)`);
    const query = queryTimes();
    console.log(`query over 10,000 twins, best of 10: filter ${ms(query.filter)}, GROUP BY ${ms(query.group)} (target < 10 ms each)`);
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await hub.stop();
  }
}

/** The query engine without the network: what a hub-wide twin query costs the emulator. */
function queryTimes(): { filter: number; group: number } {
  const regions = ['US', 'EU', 'APAC', 'LATAM'];
  const twins = Array.from({ length: 10_000 }, (_, i) => ({
    deviceId: `device-${i}`,
    tags: { location: { region: regions[i % regions.length] } },
    properties: { desired: {}, reported: { firmware: { version: i % 3 === 0 ? '2.1.0' : '2.0.5' }, batteryLevel: i % 100 } },
  }));
  const best = (text: string) => {
    const query = parseQuery(text);
    return Math.min(...Array.from({ length: 10 }, () => timedSync(() => runQuery(query, twins))));
  };
  return {
    filter: best(
      "SELECT * FROM devices WHERE tags.location.region = 'EU' AND properties.reported.firmware.version != '2.1.0' OR properties.reported.batteryLevel < 5",
    ),
    group: best('SELECT tags.location.region AS region, COUNT() AS n FROM devices GROUP BY tags.location.region'),
  };
}

function timedSync(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
