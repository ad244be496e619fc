import type { Command } from 'commander';
import type { DeviceModel } from '../../../contracts/signing/signedManifest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FleetSimulator } from '../../fleet/FleetSimulator';
import { installIotHubHostPort } from '../../preload/iothubHostPort';
import { collect, parseJsonObject, parseMilliseconds, parseModel, parseProbability, parsePositiveInt } from '../options';
import { DEFAULT_HUB_DATA_DIR, readConnectionInfo } from '../runningHub';
import { readTrustRoots } from '../../../device/agent/trustRoots';
import { onShutdown } from '../../../device/cli/shutdown';

interface FleetFlags {
  count: number;
  prefix: string;
  fw: string;
  tags?: Record<string, unknown>;
  failDownload: number;
  failApply: number;
  offline: number;
  seed: string;
  installMs: number;
  rebootMs: number;
  dataDir: string;
  stateDir: string;
  trustRoot: string[];
  requireSigned: boolean;
  model?: DeviceModel;
}

/** `fleetwave fleet`: many simulated devices in one process against a running local hub. */
export function registerFleetCommand(program: Command): void {
  program
    .command('fleet')
    .description('Run a simulated fleet of firmware update agents against a running `fleetwave hub`.')
    .requiredOption('--count <n>', 'how many devices', parsePositiveInt)
    .option('--prefix <prefix>', 'device id prefix (ids are <prefix>001 …)', 'sim-')
    .option('--fw <version>', 'the version the devices start on', '1.0.0')
    .option('--tags <json>', 'twin tags set on every device', parseJsonObject)
    .option('--fail-download <p>', 'probability that an update fails while downloading', parseProbability, 0)
    .option('--fail-apply <p>', 'probability that an update fails while applying', parseProbability, 0)
    .option('--offline <p>', 'probability that a device never connects', parseProbability, 0)
    .option('--seed <seed>', 'same seed, same faults on the same devices', 'fleetwave')
    .option('--install-ms <ms>', 'how long a simulated install takes', parseMilliseconds, 0)
    .option('--reboot-ms <ms>', 'how long a simulated reboot keeps a device offline', parseMilliseconds, 0)
    .option('--data-dir <dir>', 'data dir of the running hub', DEFAULT_HUB_DATA_DIR)
    .option('--state-dir <dir>', 'where the simulated devices keep their state', '.fleetwave/fleet')
    .option(
      '--trust-root <file>',
      'every agent verifies signed firmware against these root keys, as fleetwave-agent (repeatable)',
      collect,
      [],
    )
    .option('--require-signed', 'with --trust-root: refuse firmware that has no signed manifest', false)
    .option('--model <[manufacturer/]model>', 'what every device is, as fleetwave-agent --model', parseModel)
    .action(async (flags: FleetFlags) => {
      if (flags.requireSigned && flags.trustRoot.length === 0)
        throw new Error('--require-signed needs --trust-root <file>: the root keys to verify signatures with');
      const trustRoots = flags.trustRoot.length === 0 ? undefined : readTrustRoots(flags.trustRoot.map((path) => resolve(path)));
      const info = readConnectionInfo(flags.dataDir);
      const ca = readFileSync(info.caCertPath, 'utf8');
      installIotHubHostPort({ ca });
      const started = Date.now();
      const fleet = await new FleetSimulator({
        serviceConnectionString: info.serviceConnectionString,
        gatewayHostName: `${info.mqtt.host}:${info.mqtt.port}`,
        ca,
        count: flags.count,
        prefix: flags.prefix,
        fw: flags.fw,
        ...(flags.tags ? { tags: flags.tags } : {}),
        failDownload: flags.failDownload,
        failApply: flags.failApply,
        offline: flags.offline,
        seed: flags.seed,
        installMs: flags.installMs,
        rebootMs: flags.rebootMs,
        stateRoot: resolve(flags.stateDir),
        ...(trustRoots === undefined ? {} : { trustRoots, requireSigned: flags.requireSigned }),
        ...(flags.model ? { deviceModel: flags.model } : {}),
        log: (message) => console.log(`${new Date().toISOString()} ${message}`),
      }).start();
      const offline = fleet.devices.filter((d) => d.offline).length;
      console.log(
        `${fleet.devices.length - offline} simulated devices connected in ${((Date.now() - started) / 1000).toFixed(1)} s` +
          `${offline ? ` (${offline} left offline)` : ''}; Ctrl-C to stop.`,
      );
      onShutdown(() => fleet.stop());
    });
}
