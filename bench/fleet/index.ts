/**
 * Fleet simulator benchmark: N firmware update agents in this process against `fleetwave hub`
 * in its own process.
 *   - time to start the fleet when the devices are already registered (key lookup + MQTT/TLS
 *     connect + twin reconcile per agent, in batches of 50), and with registration included
 *   - memory per simulated device: growth of this process's RSS and V8 heap over the first
 *     fleet (after a forced GC), divided by N
 * Usage: npm run bench:fleet [-- --devices 1000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetSimulator } from '../../local/fleet/FleetSimulator';
import { HubProcess } from '../../local/stack/HubProcess';
import { machine, parseArgs } from '../support/hubProcess';
import { timed } from '../support/stats';

const { devices: DEVICES } = parseArgs({ devices: 1000 });

async function main(): Promise<void> {
  const hub = await new HubProcess().start();
  const stateRoot = mkdtempSync(join(tmpdir(), 'fleetwave-bench-fleet-'));
  try {
    const options = {
      serviceConnectionString: hub.info.serviceConnectionString,
      gatewayHostName: `${hub.info.mqtt.host}:${hub.info.mqtt.port}`,
      ca: readFileSync(hub.info.caCertPath, 'utf8'),
      count: DEVICES,
      stateRoot,
    };
    // Memory is measured over the first fleet, from a process that has held no agents yet.
    global.gc?.();
    const before = process.memoryUsage();
    const first = await timed(() => new FleetSimulator(options).start());
    global.gc?.();
    const after = process.memoryUsage();
    await first.result.stop();

    const second = await timed(() => new FleetSimulator(options).start());
    const perDevice = (bytes: number) => `${(bytes / DEVICES / 1024).toFixed(0)} KiB`;

    console.log(`machine: ${machine()}`);
    console.log(`start ${DEVICES} agents, registering them too: ${(first.ms / 1000).toFixed(2)} s`);
    console.log(`start ${DEVICES} agents, already registered (connect + reconcile): ${(second.ms / 1000).toFixed(2)} s`);
    console.log(
      `memory per simulated device: RSS ${perDevice(after.rss - before.rss)}, V8 heap ${perDevice(after.heapUsed - before.heapUsed)}`,
    );
    await second.result.stop();
  } finally {
    await hub.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
