import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FirmwareFixture } from '../support/firmwareFixture';
import { HubFixture, eventually } from '../support/hubFixture';
import { LOCAL_STACK_ONLY } from '../../local/packaging/packageApp';
import { filesUnder } from './packageContents';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../..');

/**
 * The device agent as a device gets it: `npm pack` of the device workspace, installed into an
 * empty folder from the tarball alone, then run from its own bin against the IoT Hub emulator.
 */
describe('the device agent package (npm pack → npm install → fleetwave-agent)', () => {
  jest.setTimeout(240_000);
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-agent-pack-'));
  const installDir = join(work, 'device-root');
  const bin = join(installDir, 'node_modules', '.bin', 'fleetwave-agent');
  const fx = new HubFixture();
  const fw = new FirmwareFixture(join(fx.dataDir, 'tls'));
  let agent: ChildProcess | undefined;

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--workspace', 'device', '--pack-destination', work, '--json'], { cwd: REPO });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    mkdirSync(installDir);
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)], { cwd: installDir });
    await fx.start();
    await fw.start();
  }, 240_000);
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await fw.stop();
    await fx.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('ships only the compiled agent and contracts, and installs only the device SDKs and small helpers', () => {
    const pkgDir = join(installDir, 'node_modules', '@fleetwave', 'agent');
    const files = filesUnder(pkgDir);
    expect(files).toContain('dist/device/cli/main.js');
    expect(files).toContain('dist/contracts/firmwareUpdate.js');
    expect(files.filter((file) => !/^(dist\/(device|contracts)\/.+\.js|package\.json|README\.md)$/.test(file))).toEqual([]);
    const installed = readdirSync(join(installDir, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['azure-iot-device', 'azure-iot-device-mqtt']));
    expect(installed.filter((name) => LOCAL_STACK_ONLY.includes(name) || name === 'azure-iothub' || name === 'durable-functions')).toEqual(
      [],
    );
  });

  test('--help prints the usage and exits 0; a bad flag exits 2 naming it', async () => {
    const help = await run(bin, ['--help']);
    expect(help.stdout).toMatch(/^Usage: fleetwave-agent --connection-string <cs> --state-dir <dir>/);
    const bad = await run(bin, [
      '--connection-string',
      'HostName=h;DeviceId=d;SharedAccessKey=k',
      '--state-dir',
      work,
      '--installer',
      'rpm',
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("--installer must be 'simulated' or 'command', not 'rpm'.") });
  });

  test('the installed agent updates a device on the hub: the method is accepted and the twin ends on applyComplete', async () => {
    const connectionString = await fx.addDevice('packaged-agent');
    const stateDir = join(work, 'state');
    agent = spawn(bin, ['--connection-string', connectionString, '--state-dir', stateDir, '--ca', fx.hub.caCertPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((ready, fail) => {
      let output = '';
      agent!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('agent running on firmware 1.0.0')) ready();
      });
      agent!.once('exit', (code) => fail(new Error(`the agent exited with ${code}: ${output}`)));
    });
    const image = fw.image('2.1.0');
    const payload = { rolloutId: 'r-pack', fwVersion: '2.1.0', fwPackageUri: image.uri, sha256: image.sha256, size: image.size };
    const { result } = await fx.service.invokeDeviceMethod('packaged-agent', {
      methodName: 'firmwareUpdate',
      payload,
      responseTimeoutInSeconds: 10,
    });
    expect(result.payload).toEqual({ status: 'accepted', rolloutId: 'r-pack' });
    await eventually(async () => {
      const twin = await fx.twin('packaged-agent');
      expect(twin.properties.reported.iothubDM?.firmwareUpdate?.status).toBe('applyComplete');
      expect(twin.properties.reported.firmware?.currentFwVersion).toBe('2.1.0');
    }, 20_000);
    expect(existsSync(join(stateDir, 'agent-state.json'))).toBe(true);
  });
});
