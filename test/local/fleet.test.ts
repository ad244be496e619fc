import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetSimulator } from '../../local/fleet/FleetSimulator';
import { FirmwareFixture } from '../support/firmwareFixture';
import { HubFixture, eventually } from '../support/hubFixture';

describe('the fleet simulator', () => {
  const fx = new HubFixture();
  const fw = new FirmwareFixture(join(fx.dataDir, 'tls'));
  let fleet: FleetSimulator;
  beforeAll(async () => {
    await fx.start();
    await fw.start();
  });
  afterAll(async () => {
    await fleet?.stop();
    await fw.stop();
    await fx.stop();
  });

  // 500 TLS connections and updates: about 30 s on an idle 2-core machine.
  test('500 simulated devices in one process all update', async () => {
    fleet = await new FleetSimulator({
      serviceConnectionString: fx.hub.serviceConnectionString,
      gatewayHostName: `${fx.hub.mqtt.host}:${fx.hub.mqtt.port}`,
      ca: fx.caPem(),
      count: 500,
      prefix: 'fleet-',
      tags: (i) => ({ ring: ['canary', 'early', 'broad'][i % 3] }),
      stateRoot: mkdtempSync(join(tmpdir(), 'fleetwave-fleet-')),
    }).start();
    expect(fleet.devices.filter((d) => d.agent)).toHaveLength(500);
    expect((await fx.twin('fleet-001')).tags).toEqual({ ring: 'canary' });

    const image = fw.image('2.0.0', 16 * 1024);
    const payload = { fwVersion: '2.0.0', fwPackageUri: image.uri, sha256: image.sha256, size: image.size };
    for (let i = 0; i < fleet.devices.length; i += 50) {
      await Promise.all(
        fleet.devices.slice(i, i + 50).map(async ({ deviceId }) => {
          const { result } = await fx.service.invokeDeviceMethod(deviceId, {
            methodName: 'firmwareUpdate',
            payload: { rolloutId: 'r-fleet', ...payload },
          });
          expect(result.status).toBe(200);
        }),
      );
    }
    await eventually(
      () => {
        const versions = fleet.devices.map((d) => d.agent!.currentFwVersion);
        expect(versions.filter((v) => v === '2.0.0')).toHaveLength(500);
      },
      60000,
      250,
    );
    await Promise.all(fleet.devices.map((d) => d.agent!.settled()));
    const updated = fx.hub.registry.list();
    let reportedComplete = 0;
    for (const record of updated) {
      const reported = record.twin.reported.properties as {
        iothubDM?: { firmwareUpdate?: { status?: string } };
        firmware?: { currentFwVersion?: string };
      };
      if (reported.iothubDM?.firmwareUpdate?.status === 'applyComplete' && reported.firmware?.currentFwVersion === '2.0.0')
        reportedComplete++;
    }
    expect(reportedComplete).toBe(500);
  }, 180_000);

  test('the same seed injects the same faults on the same devices', async () => {
    const run = async (stateRoot: string, prefix: string) => {
      const sim = await new FleetSimulator({
        serviceConnectionString: fx.hub.serviceConnectionString,
        gatewayHostName: `${fx.hub.mqtt.host}:${fx.hub.mqtt.port}`,
        ca: fx.caPem(),
        count: 40,
        prefix,
        offline: 0.25,
        seed: 'repeat-me',
        stateRoot,
      }).start();
      const offline = sim.devices.filter((d) => d.offline).map((d) => d.deviceId.slice(prefix.length));
      await sim.stop();
      return offline;
    };
    const a = await run(mkdtempSync(join(tmpdir(), 'fleetwave-seed-a-')), 'seed-');
    const b = await run(mkdtempSync(join(tmpdir(), 'fleetwave-seed-b-')), 'seed-');
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(2);
    expect(a.length).toBeLessThan(20);
  });
});
