import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Registry } from 'azure-iothub';
import { deviceConnectionString, type HubConnectionInfo } from '../../hub/connectionInfo';
import { DEFAULT_HUB_DATA_DIR, readConnectionInfo } from '../runningHub';
import { parseRoutes, type MessageRoute } from '../../hub/eventhubs/routing/routes';
import { startHub } from '../../hub/startHub';
import { describeThrottling } from '../../hub/throttling/describeThrottling';
import { installIotHubHostPort } from '../../preload/iothubHostPort';
import { collect, hubScaleOf, parseJsonObject, parsePort, parsePositiveInt, tierOption, unitsOption, type HubScaleFlags } from '../options';
import { onShutdown } from '../../../device/cli/shutdown';

const BULK_LIMIT = 100;

export function registerHubCommand(program: Command): void {
  const hub = program
    .command('hub')
    .description('Run the IoT Hub emulator (HTTPS service endpoint + MQTT device endpoint).')
    .option('--data-dir <dir>', 'where registry, twins, keys and certificates are kept', DEFAULT_HUB_DATA_DIR)
    .option('--host <name>', 'host name clients use to reach the hub', 'localhost')
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    .option('--https-port <port>', 'HTTPS service endpoint port (443 makes HostName portless)', parsePort, 8443)
    .option('--mqtt-port <port>', 'MQTT over TLS device endpoint port', parsePort, 8883)
    .option('--amqp-port <port>', 'Event Hub-compatible endpoint (AMQP) port', parsePort, 5672)
    .option('--partitions <n>', 'partitions of the Event Hub-compatible endpoint (fixed once events exist)', parsePositiveInt, 4)
    .option('--consumer-group <name>', 'an extra consumer group (repeatable; $Default always exists)', collect, [])
    .option(
      '--routes <sources>',
      'message sources routed to the built-in endpoint: DeviceMessages,TwinChangeEvents (empty for none)',
      parseRoutesOption,
    )
    .option('--retention-hours <hours>', 'how long the built-in endpoint keeps events', parsePositiveInt, 24)
    .addOption(tierOption())
    .addOption(unitsOption())
    .enablePositionalOptions()
    .action(async (opts: HubFlags) => {
      const running = await startHub({
        dataDir: resolve(opts.dataDir),
        host: opts.host,
        bindAddress: opts.bind,
        httpsPort: opts.httpsPort,
        mqttPort: opts.mqttPort,
        amqpPort: opts.amqpPort,
        partitionCount: opts.partitions,
        consumerGroups: opts.consumerGroup,
        retentionMs: opts.retentionHours * 3600 * 1000,
        ...(opts.routes ? { routes: opts.routes } : {}),
        throttling: hubScaleOf(opts),
      });
      printBanner(running, resolve(opts.dataDir));
      onShutdown(() => {
        console.log('\nStopping the hub…');
        return running.close();
      });
    });

  hub
    .command('device')
    .description('Manage devices of a running hub.')
    .command('add <deviceId>')
    .description('Register devices and print their connection strings (with --count N: <deviceId>-1 … <deviceId>-N).')
    .option('--count <n>', 'how many devices to register', parsePositiveInt, 1)
    .option('--tags <json>', 'twin tags to set on each device, as a JSON object', parseJsonObject)
    .option('--data-dir <dir>', 'data dir of the running hub', DEFAULT_HUB_DATA_DIR)
    .action(async (deviceId: string, opts: { count: number; tags?: Record<string, unknown>; dataDir: string }) => {
      const info = readConnectionInfo(opts.dataDir);
      installIotHubHostPort({ ca: readFileSync(info.caCertPath) });
      const registry = Registry.fromConnectionString(info.serviceConnectionString);
      const ids = opts.count === 1 ? [deviceId] : Array.from({ length: opts.count }, (_, i) => `${deviceId}-${i + 1}`);
      for (let i = 0; i < ids.length; i += BULK_LIMIT) {
        const chunk = ids.slice(i, i + BULK_LIMIT);
        const { responseBody } = await registry.addDevices(chunk.map((id) => ({ deviceId: id })));
        if (!responseBody.isSuccessful) {
          const problems = responseBody.errors.map((e) => `${e.deviceId}: ${e.errorStatus}`).join('\n  ');
          throw new Error(`Some devices were not registered:\n  ${problems}`);
        }
      }
      for (const id of ids) {
        if (opts.tags) await registry.updateTwin(id, { tags: opts.tags }, '*');
        const { responseBody: device } = await registry.get(id);
        console.log(deviceConnectionString(info, id, device.authentication!.symmetricKey!.primaryKey!));
      }
    });
}

interface HubFlags extends HubScaleFlags {
  dataDir: string;
  host: string;
  bind: string;
  httpsPort: number;
  mqttPort: number;
  amqpPort: number;
  partitions: number;
  consumerGroup: string[];
  routes?: MessageRoute[];
  retentionHours: number;
}

function parseRoutesOption(value: string): MessageRoute[] {
  try {
    return parseRoutes(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function printBanner(info: HubConnectionInfo, dataDir: string): void {
  console.log(`IoT Hub emulator '${info.hubName}' is running.

  HTTPS service endpoint   https://${info.https.host}:${info.https.port}   (HostName=${info.hostName})
  MQTT device endpoint     mqtts://${info.mqtt.host}:${info.mqtt.port}
  Event Hub-compatible     amqp://${info.eventHubs.host}:${info.eventHubs.port}   (name ${info.eventHubs.entityPath}, ${info.eventHubs.partitionCount} partitions)
  CA certificate           ${info.caCertPath}
  Data dir                 ${dataDir}   (connection.json has all of this)
  ${describeThrottling(info.throttling)}

  Service connection string:
    ${info.serviceConnectionString}

  Event Hub-compatible connection string (twin-change events and telemetry):
    ${info.eventHubs.connectionString}

  Register devices:        fleetwave hub device add <id> [--count N] [--tags JSON] --data-dir ${dataDir}
  Trust the CA:            NODE_EXTRA_CA_CERTS=${info.caCertPath}
  azure-iothub on a port other than 443:
                           node -r fleetwave/dist/local/preload/iothubHostPortPreload.js your-app.js

Press Ctrl-C to stop.`);
}
