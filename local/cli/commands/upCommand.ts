import type { Command } from 'commander';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { startLocalStack, type RunningLocalStack } from '../../stack/startLocalStack';
import { describeThrottling } from '../../hub/throttling/describeThrottling';
import { hubScaleOf, parsePort, parsePositiveInt, parseProbability, tierOption, unitsOption, type HubScaleFlags } from '../options';
import type { RolloutStatus } from '../../../contracts/rolloutApi';
import { RolloutApiClient } from '../rollouts/RolloutApiClient';
import { printFinal, watchRollout } from '../rollouts/watchRollout';
import { onShutdown } from '../../../device/cli/shutdown';

interface UpFlags extends HubScaleFlags {
  devices: number;
  demo: boolean;
  dataDir: string;
  keepData: boolean;
  httpsPort: number;
  mqttPort: number;
  amqpPort: number;
  firmwarePort: number;
  hostPort: number;
  failDownload: number;
  failApply: number;
  seed: string;
  signedFirmware: boolean;
}

/** The repository root: its package.json `main` is the compiled function app. */
const APP_DIR = resolve(__dirname, '../../../..');

/** `fleetwave up` (what `npm start` runs) and `fleetwave demo`. */
export function registerUpCommands(program: Command): void {
  stackOptions(
    program
      .command('up')
      .description(
        'Run the whole system locally — IoT Hub emulator, Functions dev host with the app, a simulated fleet — and a demo rollout; stays up until Ctrl-C.',
      )
      .option('--no-demo', 'start everything but no demo rollout'),
  ).action(async (flags: UpFlags) => {
    const stack = await start(flags);
    if (flags.demo) await demoRollout(stack);
    printReady(stack, flags);
  });

  stackOptions(
    program.command('demo').description('Like `up`, but runs the demo rollout to completion and exits: 0 when it completed.'),
  ).action(async (flags: UpFlags) => {
    const stack = await start(flags);
    try {
      const final = await demoRollout(stack);
      process.exitCode = final.state === 'completed' || final.state === 'completedWithFailures' ? 0 : 1;
    } finally {
      await stack.close();
    }
  });
}

function stackOptions(command: Command): Command {
  return command
    .option('--devices <n>', 'simulated devices', parsePositiveInt, 50)
    .option('--data-dir <dir>', 'where every part keeps its state', '.fleetwave')
    .option('--keep-data', 'keep the state of an earlier run (default: start afresh)', false)
    .option('--https-port <port>', 'IoT Hub service endpoint (HTTPS)', parsePort, 8443)
    .option('--mqtt-port <port>', 'IoT Hub device endpoint (MQTT over TLS)', parsePort, 8883)
    .option('--amqp-port <port>', 'IoT Hub Event Hub-compatible endpoint (AMQP)', parsePort, 5672)
    .option('--firmware-port <port>', 'firmware image server (HTTPS)', parsePort, 8444)
    .option('--host-port <port>', 'Functions dev host (HTTP API)', parsePort, 7071)
    .option('--fail-download <p>', 'simulated download failure probability', parseProbability, 0.02)
    .option('--fail-apply <p>', 'simulated install failure probability', parseProbability, 0.02)
    .option('--seed <seed>', 'same seed, same simulated faults', 'fleetwave')
    .option('--no-signed-firmware', 'accept unsigned firmware: no keys, the app and the devices do not check signatures')
    .addOption(tierOption())
    .addOption(unitsOption());
}

/**
 * Starts the stack with Ctrl-C and SIGTERM handled from the first moment. While the parts come up, the
 * process just exits, and the parts already started in processes of their own end with it (PartProcess);
 * once up, the stack is closed first.
 */
async function start(flags: UpFlags): Promise<RunningLocalStack> {
  const throttling = hubScaleOf(flags); // checked before anything starts or is removed
  const running: { stack?: RunningLocalStack } = {};
  onShutdown(async () => {
    console.log('\nStopping the local stack…');
    await running.stack?.close();
  });
  const dataDir = resolve(flags.dataDir);
  if (!flags.keepData) rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  const stack = (running.stack = await startLocalStack({
    dataDir,
    devices: flags.devices,
    appDir: APP_DIR,
    ports: { https: flags.httpsPort, mqtt: flags.mqttPort, amqp: flags.amqpPort, firmware: flags.firmwarePort, host: flags.hostPort },
    failDownload: flags.failDownload,
    failApply: flags.failApply,
    offline: 0,
    seed: flags.seed,
    throttling,
    signedFirmware: flags.signedFirmware,
    log: (message) => console.log(pc.dim(`  ${message}`)),
  }));
  console.log(`Local stack up in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  console.log(describeThrottling(stack.hub.throttling));
  console.log(`Dashboard: ${pc.bold(dashboardUrl(stack))}`);
  return stack;
}

/** Canary, early and broad waves over the demo fleet, pausing if more than 20 % fail. */
async function demoRollout(stack: RunningLocalStack): Promise<RolloutStatus> {
  const api = new RolloutApiClient(stack.apiUrl);
  const { image } = stack.firmware;
  const started = Date.now();
  const { id } = await api.start({
    firmware: { version: image.version, uri: image.uri, sha256: image.sha256, size: image.size, manifest: image.manifest },
    target: { query: "tags.fleet = 'demo'" },
    waves: [
      { name: 'canary', percent: 10 },
      { name: 'early', percent: 40 },
      { name: 'broad', percent: 100 },
    ],
    maxConcurrency: 50,
    failureThreshold: { percent: 20, minDevices: 5, action: 'pause' },
  });
  console.log(`\nDemo rollout ${pc.bold(id)}: firmware ${stack.firmware.old} → ${image.version} on ${stack.fleet.devices.length} devices`);
  const final = await watchRollout(api, id);
  printFinal(final);
  console.log(`Finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return final;
}

function printReady(stack: RunningLocalStack, flags: UpFlags): void {
  const firmwareDir = join(resolve(flags.dataDir), 'firmware');
  const nextUri = stack.firmware.image.uri.replace(/firmware-[^/]+\.bin$/, 'firmware-2.1.0.bin');
  const { signing } = stack.firmware;
  const signed = signing && {
    note: ` The app and the devices accept signed firmware only (keys in ${signing.dir}).`,
    make: ` \\\n      --sign-key ${signing.signingKeyPath} --cert ${signing.certificatePath}`,
    start: ` --signed-manifest ${join(firmwareDir, 'firmware-2.1.0.manifest.jws')}`,
  };
  console.log(`
Everything is still running.${signed?.note ?? ''}
Roll out another version to the canary ring:
  fleetwave firmware make --version 2.1.0 --size 524288 --out ${firmwareDir}${signed?.make ?? ''}
  fleetwave rollout start --api ${stack.apiUrl} --manifest ${join(firmwareDir, 'firmware-2.1.0.json')} \\
     ${signed?.start ?? ''} --uri ${nextUri} --query "tags.ring = 'canary'" --watch
  fleetwave rollout list --api ${stack.apiUrl}
Watch and steer rollouts in the dashboard: ${dashboardUrl(stack)}
IoT Hub service connection string: ${stack.hub.serviceConnectionString}
Press Ctrl-C to stop.`);
}

function dashboardUrl(stack: RunningLocalStack): string {
  return `${stack.apiUrl}/dashboard`;
}
