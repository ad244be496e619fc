import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { EventHubConsumerClient } from '@azure/event-hubs';
import type { HubConnectionInfo } from '../../local/hub/connectionInfo';
import { hubEndpoint } from '../../local/stack/partEndpoints';
import { PartProcess } from '../../local/stack/PartProcess';

// These run the built CLI (npm test builds first), as a user would.
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/local/cli/main.js');
const PRELOAD = join(ROOT, 'dist/local/preload/iothubHostPortPreload.js');
const run = promisify(execFile);

/** `fleetwave hub` on dataDir, on free ports. */
const hubPart = (dataDir: string, flags: string[]): PartProcess =>
  new PartProcess('the hub', ['hub', '--data-dir', dataDir, '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', ...flags]);

describe('fleetwave hub (CLI)', () => {
  let dataDir: string;
  let hub: PartProcess;
  let info: HubConnectionInfo;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-cli-'));
    hub = hubPart(dataDir, ['--consumer-group', 'fleetwave']);
    info = await hub.start(hubEndpoint(dataDir), 20000);
  });

  afterAll(async () => {
    await hub.stop('SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('prints its endpoints and writes connection.json', async () => {
    const output = await hub.waitForOutput(info.serviceConnectionString);
    expect(info.hostName).toBe(`localhost:${info.https.port}`);
    expect(info.serviceConnectionString).toMatch(
      new RegExp(`^HostName=localhost:${info.https.port};SharedAccessKeyName=iothubowner;SharedAccessKey=`),
    );
    expect(existsSync(info.caCertPath)).toBe(true);
    expect(info.mqtt.port).toBeGreaterThan(0);
    expect(info.eventHubs).toMatchObject({ host: '127.0.0.1', entityPath: 'fleetwave-hub', partitionCount: 4 });
    expect(info.eventHubs.connectionString).toMatch(
      new RegExp(
        `^Endpoint=sb://127\\.0\\.0\\.1:${info.eventHubs.port}/;SharedAccessKeyName=service;SharedAccessKey=[^;]+;EntityPath=fleetwave-hub;UseDevelopmentEmulator=true$`,
      ),
    );
    expect(output).toContain(info.eventHubs.connectionString);
    expect(info.throttling).toBeNull();
    expect(output).toContain('IoT Hub throttling: off');
  });

  test('the printed Event Hub-compatible connection string works with the unmodified consumer', async () => {
    const consumer = new EventHubConsumerClient('fleetwave', info.eventHubs.connectionString);
    await expect(consumer.getPartitionIds()).resolves.toEqual(['0', '1', '2', '3']);
    await consumer.close();
  });

  test('device add registers devices with tags and prints connection strings the device SDK accepts', async () => {
    const { stdout } = await run(process.execPath, [
      CLI,
      'hub',
      'device',
      'add',
      'cli',
      '--count',
      '3',
      '--tags',
      '{"ring":"canary"}',
      '--data-dir',
      dataDir,
    ]);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) =>
      expect(line).toMatch(
        new RegExp(
          `^HostName=${info.hostName};DeviceId=cli-${i + 1};SharedAccessKey=[^;]+;GatewayHostName=127\\.0\\.0\\.1:${info.mqtt.port}$`,
        ),
      ),
    );
    const client = DeviceClient.fromConnectionString(lines[0], Mqtt);
    await client.setOptions({ ca: info.caCertPath });
    await client.open();
    await client.close();
  });

  test('the preload lets unmodified azure-iothub code reach HostName=host:port', async () => {
    const script = join(dataDir, 'app.js');
    writeFileSync(
      script,
      `const { Registry } = require(${JSON.stringify(require.resolve('azure-iothub'))});
       Registry.fromConnectionString(process.argv[2]).getTwin('cli-1')
         .then(({ responseBody }) => console.log(JSON.stringify(responseBody.tags)))
         .catch((e) => { console.error(e.message); process.exit(1); });`,
    );
    const { stdout } = await run(process.execPath, ['-r', PRELOAD, script, info.serviceConnectionString], {
      env: { ...process.env, FLEETWAVE_HUB_CA: info.caCertPath },
    });
    expect(JSON.parse(stdout)).toEqual({ ring: 'canary' });
  });

  test('an unknown route source is refused naming the valid ones', async () => {
    const failure = await run(process.execPath, [CLI, 'hub', '--routes', 'Telemetry,Nope', '--data-dir', dataDir]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/--routes.*Nope/s);
  });

  test('bad flags are refused with a message naming the flag', async () => {
    const failure = await run(process.execPath, [CLI, 'hub', 'device', 'add', 'x', '--tags', '[1]', '--data-dir', dataDir]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain("option '--tags <json>' argument '[1]' is invalid. must be a JSON object.");
  });

  test('device add without a running hub says so', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fleetwave-cli-empty-'));
    const failure = await run(process.execPath, [CLI, 'hub', 'device', 'add', 'x', '--data-dir', empty]).catch(
      (e: { stderr: string }) => e,
    );
    expect((failure as { stderr: string }).stderr).toContain('No running hub found');
    rmSync(empty, { recursive: true, force: true });
  });

  test('stops cleanly on SIGINT and removes connection.json', async () => {
    expect(await hub.stop('SIGINT')).toBe(0);
    expect(existsSync(join(dataDir, 'connection.json'))).toBe(false);
  });
});

describe('fleetwave hub --tier / --units (CLI)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-cli-tier-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const failure = (args: string[]) =>
    run(process.execPath, [CLI, ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );

  test('throttles like a hub of that tier and unit count, and says so at start and in connection.json', async () => {
    const hub = hubPart(dataDir, ['--tier', 's2', '--units', '3']);
    try {
      const info = await hub.start(hubEndpoint(dataDir), 20000);
      expect(info.throttling).toEqual({ tier: 'S2', units: 3 });
      const banner =
        'IoT Hub throttling: S2 × 3 units (twin updates 50/s, twin reads 100/s, direct methods 1440 KB/s, new device connections 360/s, ';
      await hub.waitForOutput(banner);
    } finally {
      await hub.stop('SIGINT');
    }
  });

  test('bad values are refused naming the option, before anything starts', async () => {
    // A data dir of its own: the hub of the test before may still be removing its connection.json on a loaded machine.
    const dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-cli-refused-'));
    expect(await failure(['hub', '--data-dir', dataDir, '--tier', 'S9'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        "option '--tier <tier>' argument 'S9' is invalid. unknown IoT Hub tier 'S9': expected one of F1, S1, S2, S3",
      ),
    });
    expect(await failure(['hub', '--data-dir', dataDir, '--tier', 'S3', '--units', '11'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("option '--units <n>': IoT Hub units must be a whole number from 1 to 10 for tier S3, got '11'"),
    });
    expect(await failure(['hub', '--data-dir', dataDir, '--units', '2'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("option '--units <n>' needs --tier"),
    });
    expect(await failure(['up', '--data-dir', dataDir, '--units', '2'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("option '--units <n>' needs --tier"),
    });
    expect(existsSync(join(dataDir, 'connection.json'))).toBe(false);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
