import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../contracts/firmwareUpdate';
import { FirmwareUpdateAgent, type AgentOptions } from '../../device/agent/FirmwareUpdateAgent';
import { SimulatedInstaller, type SimulatedInstallerOptions } from '../../device/install/simulatedInstaller';
import { FirmwareFixture } from './firmwareFixture';
import { HubFixture } from './hubFixture';

/** Device agents on a HubFixture, and the statuses each device reported, seen from the hub. */
export class AgentFixture {
  private readonly agents: FirmwareUpdateAgent[] = [];
  /** Every iothubDM.firmwareUpdate.status each device reported, in order. */
  readonly statuses = new Map<string, FirmwareUpdateStatus[]>();
  /** The status of every report, repeats included (one per twin-change event). */
  readonly reports = new Map<string, FirmwareUpdateStatus[]>();
  /** Every report whole (iothubDM.firmwareUpdate as each twin-change event carried it). */
  readonly updates = new Map<string, Partial<FirmwareUpdateReport>[]>();

  constructor(private readonly fx: HubFixture) {}

  /** Call after the hub started (and again after a restart). */
  watch(): void {
    this.fx.hub.registry.on('twinChanged', (change) => {
      type Reported = { iothubDM?: { firmwareUpdate?: Partial<FirmwareUpdateReport> | null } };
      const update = (change.body as { properties?: { reported?: Reported } }).properties?.reported?.iothubDM?.firmwareUpdate;
      if (!update?.status) return;
      const status = update.status;
      this.reports.set(change.deviceId, [...(this.reports.get(change.deviceId) ?? []), status]);
      this.updates.set(change.deviceId, [...(this.updates.get(change.deviceId) ?? []), update]);
      const list = this.statuses.get(change.deviceId) ?? [];
      // Progress reports repeat 'downloading'; the sequence of distinct steps is what matters.
      if (list[list.length - 1] !== status) list.push(status);
      this.statuses.set(change.deviceId, list);
    });
  }

  async agent(
    deviceId: string,
    options: Partial<AgentOptions> & { simulated?: Omit<SimulatedInstallerOptions, 'dir'>; stateDir?: string } = {},
  ): Promise<{ agent: FirmwareUpdateAgent; stateDir: string; installer: SimulatedInstaller }> {
    const connectionString = await this.fx.addDevice(deviceId).catch(() => this.fx.connectionStringOf(deviceId));
    const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), `fleetwave-agent-${deviceId}-`));
    const installer = new SimulatedInstaller({ dir: stateDir, ...options.simulated });
    const agent = new FirmwareUpdateAgent({
      connectionString,
      stateDir,
      installer,
      initialFwVersion: '1.0.0',
      ca: this.fx.caPem(),
      ...options,
    });
    this.agents.push(agent);
    await agent.start();
    return { agent, stateDir, installer };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.agents.map((agent) => agent.stop()));
  }
}

type DeviceMethodAnswer = { status: number; payload: Record<string, unknown> };

/**
 * What every agent suite starts from, set up in the beforeAll and torn down in the afterAll of the
 * describe block that calls it: a hub, a firmware server with one 2.0.0 image of `imageBytes`, and
 * agents on them; plus a direct method call and a reported-properties read through the hub.
 */
export function agentTestBed(options: { imageBytes: number; hub?: ConstructorParameters<typeof HubFixture>[0] }) {
  const fx = new HubFixture(options.hub);
  const fw = new FirmwareFixture(join(fx.dataDir, 'tls'));
  const agents = new AgentFixture(fx);
  let image: FirmwareImage | undefined;
  beforeAll(async () => {
    await fx.start();
    await fw.start();
    agents.watch();
    image = fw.image('2.0.0', options.imageBytes);
  });
  afterAll(async () => {
    await agents.stop();
    await fw.stop();
    await fx.stop();
  });
  return {
    fx,
    fw,
    agents,
    /** The image (once beforeAll has run). */
    image: (): FirmwareImage => image!,
    async invoke(deviceId: string, methodName: string, payload: unknown, responseTimeoutInSeconds = 10): Promise<DeviceMethodAnswer> {
      const { result } = await fx.service.invokeDeviceMethod(deviceId, { methodName, payload, responseTimeoutInSeconds });
      return result as DeviceMethodAnswer;
    },
    async reported(deviceId: string) {
      const twin = await fx.twin(deviceId);
      return twin.properties.reported as {
        firmware?: { currentFwVersion?: string };
        iothubDM?: { firmwareUpdate?: Record<string, unknown> | null };
      };
    },
  };
}

type FirmwareImage = ReturnType<FirmwareFixture['image']>;
