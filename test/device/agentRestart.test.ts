import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartProcess } from '../../local/stack/PartProcess';
import { AgentFixture } from '../support/agentFixture';
import { FirmwareFixture } from '../support/firmwareFixture';
import { HubFixture, eventually } from '../support/hubFixture';

describe('`fleetwave device` killed mid-download and started again', () => {
  const fx = new HubFixture();
  const fw = new FirmwareFixture(join(fx.dataDir, 'tls'));
  const watcher = new AgentFixture(fx);
  const agents: PartProcess[] = [];
  beforeAll(async () => {
    await fx.start();
    await fw.start();
    watcher.watch();
  });
  afterAll(async () => {
    for (const agent of agents) await agent.signal('SIGKILL');
    await fw.stop();
    await fx.stop();
  });

  /** `fleetwave device` from the built CLI (npm test builds first), as a device would run the agent. */
  async function runAgent(connectionString: string, stateDir: string): Promise<PartProcess> {
    const args = ['device', '--connection-string', connectionString, '--state-dir', stateDir, '--ca', fx.hub.caCertPath];
    const agent = new PartProcess('the agent', args);
    agents.push(agent);
    await agent.start((output) => (output.includes('agent running') ? true : undefined));
    return agent;
  }

  test('resumes the download with a Range request and completes, still naming its tracker; the twin is never left in between', async () => {
    const image = fw.image('3.0.0', 512 * 1024);
    const slow = await fw.slowServer(readFileSync(join(fw.dir, image.file)), { sliceBytes: 32 * 1024, pauseMs: 60 });
    const connectionString = await fx.addDevice('agent-kill');
    const stateDir = mkdtempSync(join(tmpdir(), 'fleetwave-agent-kill-'));

    const first = await runAgent(connectionString, stateDir);
    const tracker = 'r-kill:w0:b0';
    const payload = { rolloutId: 'r-kill', fwVersion: '3.0.0', fwPackageUri: slow.url, sha256: image.sha256, size: image.size, tracker };
    const { result } = await fx.service.invokeDeviceMethod('agent-kill', {
      methodName: 'firmwareUpdate',
      payload,
      responseTimeoutInSeconds: 10,
    });
    expect(result.payload).toEqual({ status: 'accepted', rolloutId: 'r-kill' });
    const partial = await eventually(() => {
      const [file] = readdirSync(join(stateDir, 'downloads'));
      const bytes = file ? statSync(join(stateDir, 'downloads', file)).size : 0;
      expect(bytes).toBeGreaterThan(64 * 1024);
      return bytes;
    }, 10000);
    await first.signal('SIGKILL');
    expect(partial).toBeLessThan(image.size);

    await runAgent(connectionString, stateDir);
    await eventually(
      async () => {
        const twin = await fx.twin('agent-kill');
        expect(twin.properties.reported.iothubDM?.firmwareUpdate?.status).toBe('applyComplete');
        expect(twin.properties.reported.firmware?.currentFwVersion).toBe('3.0.0');
      },
      20000,
      200,
    );
    await slow.close();
    expect(slow.ranges[0]).toBeUndefined();
    expect(slow.ranges.slice(1)).toContainEqual(expect.stringMatching(/^bytes=[1-9]\d*-$/));
    const steps = watcher.statuses.get('agent-kill')!;
    expect(steps[0]).toBe('waiting');
    expect(steps.slice(-3)).toEqual(['downloadComplete', 'applying', 'applyComplete']);
    // The request came back from the state file whole: the second run's reports still name the tracker.
    const reports = watcher.updates.get('agent-kill')!;
    expect(reports.slice(-3).map((report) => report.status)).toEqual(['downloadComplete', 'applying', 'applyComplete']);
    for (const report of reports) expect(report.tracker).toBe(tracker);
  });
});
