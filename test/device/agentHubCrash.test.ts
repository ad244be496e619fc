import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ServiceClient } from 'azure-iothub';
import type { FirmwareUpdateStatus } from '../../contracts/firmwareUpdate';
import { FirmwareUpdateAgent } from '../../device/agent/FirmwareUpdateAgent';
import { SimulatedInstaller } from '../../device/install/simulatedInstaller';
import { HubProcess } from '../../local/stack/HubProcess';
import { FirmwareFixture, firmwareRequest, type SlowServer } from '../support/firmwareFixture';
import { eventually, type TwinDocument } from '../support/hubFixture';

/**
 * The IoT Hub emulator in a process of its own, killed with SIGKILL (no goodbye: sockets reset,
 * nothing flushed) while devices stand in every phase of an update, and started again on the
 * same data dir and ports, as a hub failover looks to a device. SIGSTOP first freezes the hub so
 * that a device's reported patch is on the wire, unacknowledged, when the hub dies.
 */
describe('device agents when the hub crashes mid-update', () => {
  const hub = new HubProcess();
  const fw = new FirmwareFixture(join(hub.dataDir, 'tls'));
  const stateRoot = mkdtempSync(join(tmpdir(), 'fleetwave-agents-crash-'));
  const agents = new Map<string, FirmwareUpdateAgent>();
  /** Each agent's log: `<rolloutId>: <status>` once per status it entered, plus connection notes. */
  const logs = new Map<string, string[]>();
  const slowServers: SlowServer[] = [];
  let service: ServiceClient;

  beforeAll(async () => {
    await hub.start();
    await fw.start();
    service = ServiceClient.fromConnectionString(hub.info.serviceConnectionString);
  });
  afterAll(async () => {
    await Promise.allSettled([...agents.values()].map((agent) => agent.stop()));
    await Promise.allSettled(slowServers.map((server) => server.close()));
    await fw.stop();
    await hub.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  });

  /** A registered device's agent, not started: its log goes to `logs`. */
  function newAgent(
    deviceId: string,
    connectionString: string,
    device: { installMs?: number; rebootMs?: number } = {},
  ): FirmwareUpdateAgent {
    const stateDir = mkdtempSync(join(stateRoot, `${deviceId}-`));
    const log: string[] = [];
    logs.set(deviceId, log);
    const agent = new FirmwareUpdateAgent({
      connectionString,
      stateDir,
      installer: new SimulatedInstaller({ dir: stateDir, installMs: device.installMs ?? 0, fsync: false }),
      initialFwVersion: '1.0.0',
      ca: readFileSync(hub.info.caCertPath, 'utf8'),
      rebootMs: device.rebootMs ?? 0,
      fsyncState: false,
      reconnectBackoff: { initialMs: 100, maxMs: 1000 },
      hubRequestTimeoutMs: 3000,
      log: (message) => log.push(message),
    });
    agents.set(deviceId, agent);
    return agent;
  }

  async function startAgent(deviceId: string, device: { installMs?: number; rebootMs?: number } = {}): Promise<FirmwareUpdateAgent> {
    await hub.registry.create({ deviceId });
    const agent = newAgent(deviceId, await hub.connectionString(deviceId), device);
    await agent.start();
    return agent;
  }

  /** `image` served slowly: `sliceKib` every `pauseMs`. */
  async function slowly(
    image: ReturnType<FirmwareFixture['image']>,
    sliceKib: number,
    pauseMs: number,
  ): Promise<ReturnType<FirmwareFixture['image']>> {
    const server = await fw.slowServer(readFileSync(join(fw.dir, image.file)), { sliceBytes: sliceKib * 1024, pauseMs });
    slowServers.push(server);
    return { ...image, uri: server.url };
  }

  async function invoke(deviceId: string, payload: unknown): Promise<Record<string, unknown>> {
    const { result } = await service.invokeDeviceMethod(deviceId, { methodName: 'firmwareUpdate', payload, responseTimeoutInSeconds: 10 });
    return (result as { payload: Record<string, unknown> }).payload;
  }

  const status = (deviceId: string): FirmwareUpdateStatus | undefined => agents.get(deviceId)!.update?.status;

  async function reported(deviceId: string): Promise<TwinDocument> {
    return (await hub.registry.getTwin(deviceId)).responseBody as unknown as TwinDocument;
  }

  /** Each of `deviceIds` finished `rolloutId` with applyComplete, its twin says so, and it ran once. */
  async function expectApplied(deviceIds: string[], rolloutId: string, fwVersion: string, timeoutMs: number): Promise<void> {
    await eventually(
      async () => {
        for (const deviceId of deviceIds) {
          const twin = await reported(deviceId);
          expect({
            deviceId,
            connection: twin.connectionState,
            firmware: twin.properties.reported.iothubDM?.firmwareUpdate?.status,
          }).toEqual({
            deviceId,
            connection: 'Connected',
            firmware: 'applyComplete',
          });
          expect(twin.properties.reported.iothubDM.firmwareUpdate.rolloutId).toBe(rolloutId);
          expect(twin.properties.reported.firmware.currentFwVersion).toBe(fwVersion);
        }
      },
      timeoutMs,
      200,
    );
    for (const deviceId of deviceIds) {
      const log = logs.get(deviceId)!;
      expect({ deviceId, applied: log.filter((line) => line === `${rolloutId}: applyComplete`).length }).toEqual({ deviceId, applied: 1 });
      expect({ deviceId, installs: log.filter((line) => line === `${rolloutId}: applying`).length }).toEqual({ deviceId, installs: 1 });
    }
  }

  test('every device, whatever its phase, finishes the update and takes the next one', async () => {
    const downloading = await startAgent('crash-downloading');
    const applying = await startAgent('crash-applying', { installMs: 2500 });
    const rebooting = await startAgent('crash-rebooting', { rebootMs: 2500 });
    const inFlight = await startAgent('crash-in-flight');
    await startAgent('crash-idle');
    const updating = ['crash-downloading', 'crash-applying', 'crash-rebooting', 'crash-in-flight'];

    const fast = fw.image('2.0.0', 256 * 1024);
    const long = await slowly(fast, 8, 60); // ~2 s
    const short = await slowly(fast, 32, 100); // ~0.8 s, finishing while the hub is frozen
    await invoke('crash-downloading', firmwareRequest(long, 'r1'));
    await invoke('crash-applying', firmwareRequest(fast, 'r1'));
    await invoke('crash-rebooting', firmwareRequest(fast, 'r1'));
    await invoke('crash-in-flight', firmwareRequest(short, 'r1'));
    await eventually(() => {
      expect(status('crash-applying')).toBe('applying');
      expect(rebooting.update?.applyStep).toBe('rebooting');
      expect(status('crash-in-flight')).toBe('downloading');
    }, 5000);

    // Freeze the hub: the in-flight device's next reports reach a socket nobody reads.
    await hub.signal('SIGSTOP');
    await eventually(() => expect(['downloadComplete', 'applying', 'applyComplete']).toContain(status('crash-in-flight')), 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await hub.signal('SIGKILL');
    expect(status('crash-downloading')).toBe('downloading');
    expect(applying.update?.applyStep).toBe('installing');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // devices find no hub for a while
    await hub.restart();

    await expectApplied(updating, 'r1', '2.0.0', 30_000);
    await eventually(async () => expect((await reported('crash-idle')).connectionState).toBe('Connected'), 5000);
    expect(downloading.currentFwVersion).toBe('2.0.0');
    expect(inFlight.currentFwVersion).toBe('2.0.0');

    // The next rollout is accepted everywhere (nobody answers 409 busy), and a crash in its first
    // phases (waiting, downloading) is ridden through too.
    const next = await slowly(fw.image('3.0.0', 256 * 1024), 16, 60);
    for (const deviceId of agents.keys())
      expect(await invoke(deviceId, firmwareRequest(next, 'r2'))).toEqual({ status: 'accepted', rolloutId: 'r2' });
    await hub.signal('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await hub.restart();
    await expectApplied([...agents.keys()], 'r2', '3.0.0', 30_000);
    for (const [deviceId, log] of logs)
      expect({
        deviceId,
        reconnected: log.some((line) => line.startsWith('could not connect') || line.startsWith('disconnected')),
      }).toEqual({ deviceId, reconnected: true });
  }, 120_000);

  test('an agent started while the hub is down keeps trying, connects once it is back and updates; a wrong key fails at once', async () => {
    await hub.registry.create({ deviceId: 'boot-offline' });
    const connectionString = await hub.connectionString('boot-offline');
    await hub.signal('SIGKILL');
    // The SDK reports a first connection's refused socket as "Not authorized": the agent must not take it for a refusal.
    const agent = newAgent('boot-offline', connectionString);
    let connected = false;
    const starting = agent.start().then(() => {
      connected = true;
    });
    const log = logs.get('boot-offline')!;
    await eventually(
      () => expect(log.filter((line) => line.startsWith('could not connect to the hub')).length).toBeGreaterThanOrEqual(3),
      10_000,
    );
    expect(log[0]).toMatch(/ECONNREFUSED/);
    expect(connected).toBe(false);
    await hub.restart();
    await starting;
    const image = fw.image('5.0.0', 64 * 1024);
    expect(await invoke('boot-offline', firmwareRequest(image, 'r-boot'))).toEqual({ status: 'accepted', rolloutId: 'r-boot' });
    await expectApplied(['boot-offline'], 'r-boot', '5.0.0', 20_000);

    // A key the hub does not know: refused at CONNACK 5, and start says so rather than trying forever.
    const wrongKey = connectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('not the key').toString('base64')}`);
    await expect(newAgent('boot-wrong-key', wrongKey).start()).rejects.toMatchObject({
      name: 'UnauthorizedError',
      message: expect.stringContaining('Connection refused: Not authorized'),
    });
  }, 60_000);

  test('a hub that hangs: an unanswered report gets the connection replaced, and the update finishes', async () => {
    const agent = await startAgent('hang-device');
    const image = await slowly(fw.image('4.0.0', 128 * 1024), 32, 100);
    await invoke('hang-device', firmwareRequest(image, 'r-hang'));
    await eventually(() => expect(status('hang-device')).toBe('downloading'), 5000);
    await hub.signal('SIGSTOP');
    // The download ends while the hub is frozen; its report waits past the 3 s answer deadline.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    await hub.signal('SIGCONT');
    await expectApplied(['hang-device'], 'r-hang', '4.0.0', 20_000);
    expect(agent.currentFwVersion).toBe('4.0.0');
    expect(logs.get('hang-device')!.some((line) => line.startsWith('reconnecting: a reported patch had no answer'))).toBe(true);
  }, 60_000);
});
