import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FIRMWARE_UPDATE_METHOD } from '../../contracts/firmwareUpdate';
import { PartProcess } from '../../local/stack/PartProcess';
import { HubFixture, eventually } from '../support/hubFixture';
import { SigningKit } from '../support/signingFixture';

// The built CLI (npm test builds first), as a user runs it.
const CLI = resolve(__dirname, '../../dist/local/cli/main.js');
const run = promisify(execFile);

describe('fleetwave firmware and fleet commands', () => {
  const fx = new HubFixture();
  const parts: PartProcess[] = [];
  /** `fleetwave <args>`, once its output shows readyText. */
  const startCli = async (args: string[], readyText: string): Promise<PartProcess> => {
    const part = new PartProcess(`fleetwave ${args[0]}`, args);
    parts.push(part);
    await part.start((output) => (output.includes(readyText) ? true : undefined), 30_000);
    return part;
  };
  beforeAll(() => fx.start());
  afterAll(async () => {
    for (const part of parts) await part.stop();
    await fx.stop();
  });

  test('firmware make writes an image and prints its manifest; serve answers Range requests', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetwave-cli-fw-'));
    const { stdout } = await run(process.execPath, [CLI, 'firmware', 'make', '--version', '2.1.0', '--size', '5000', '--out', out]);
    const manifest = JSON.parse(stdout) as { version: string; sha256: string; size: number; file: string };
    expect(manifest).toMatchObject({
      version: '2.1.0',
      size: 5000,
      file: 'firmware-2.1.0.bin',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.parse(readFileSync(join(out, 'firmware-2.1.0.json'), 'utf8'))).toEqual(manifest);

    const tlsDir = join(fx.dataDir, 'tls');
    const server = await startCli(['firmware', 'serve', out, '--port', '0', '--tls-dir', tlsDir], 'Serving');
    const base = /at (https:\/\/\S+)/.exec(server.output)![1];
    const response = await new Promise<{ status: number; length: number; etag?: string }>((done, fail) => {
      https
        .get(`${base}firmware-2.1.0.bin`, { ca: readFileSync(join(tlsDir, 'ca.pem')), headers: { range: 'bytes=1000-' } }, (res) => {
          let length = 0;
          res.on('data', (chunk: Buffer) => (length += chunk.length));
          res.on('end', () => done({ status: res.statusCode!, length, etag: res.headers.etag }));
        })
        .on('error', fail);
    });
    expect(response).toMatchObject({ status: 206, length: 4000, etag: expect.any(String) });
  });

  test('fleet connects simulated devices to a running hub', async () => {
    const fleet = await startCli(
      [
        'fleet',
        '--count',
        '5',
        '--prefix',
        'cli-sim-',
        '--data-dir',
        fx.dataDir,
        '--state-dir',
        mkdtempSync(join(tmpdir(), 'fleetwave-cli-fleet-')),
      ],
      'simulated devices connected',
    );
    expect(fleet.output).toMatch(/5 simulated devices connected/);
    await eventually(async () => {
      const twin = await fx.twin('cli-sim-5');
      expect(twin.connectionState).toBe('Connected');
      expect(twin.properties.reported.firmware?.currentFwVersion).toBe('1.0.0');
    });
  });

  test('fleet --trust-root --require-signed: its agents refuse unsigned firmware before any download; --require-signed alone is refused', async () => {
    const alone = await run(process.execPath, [CLI, 'fleet', '--count', '1', '--require-signed']).catch((e: { stderr: string }) => e);
    expect((alone as { stderr: string }).stderr).toContain('--require-signed needs --trust-root');
    const roots = join(mkdtempSync(join(tmpdir(), 'fleetwave-cli-roots-')), 'roots.json');
    writeFileSync(roots, JSON.stringify(new SigningKit().trust));
    const stateDir = mkdtempSync(join(tmpdir(), 'fleetwave-cli-signed-'));
    const args = ['--count', '1', '--prefix', 'signed-sim-', '--data-dir', fx.dataDir, '--state-dir', stateDir];
    await startCli(['fleet', ...args, '--trust-root', roots, '--require-signed'], 'simulated devices connected');
    const payload = {
      rolloutId: 'r-unsigned',
      fwVersion: '2.0.0',
      fwPackageUri: 'https://localhost:9/fw.bin',
      sha256: 'a'.repeat(64),
      size: 10,
    };
    const { result } = await fx.service.invokeDeviceMethod('signed-sim-1', {
      methodName: FIRMWARE_UPDATE_METHOD,
      payload,
      responseTimeoutInSeconds: 10,
    });
    expect(result).toMatchObject({ status: 200, payload: { status: 'accepted' } });
    await eventually(async () => {
      const twin = await fx.twin('signed-sim-1');
      expect(twin.properties.reported.iothubDM?.firmwareUpdate).toMatchObject({
        status: 'downloadFailed',
        error: { code: 'signatureMissing' },
      });
      expect(twin.properties.reported.firmware?.currentFwVersion).toBe('1.0.0');
    });
  });

  test('bad probabilities are refused naming the flag', async () => {
    const failure = await run(process.execPath, [CLI, 'fleet', '--count', '1', '--fail-apply', '1.5']).catch((e: { stderr: string }) => e);
    expect((failure as { stderr: string }).stderr).toMatch(/--fail-apply.*not a probability/s);
  });
});
