import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostEndpoint } from '../../../local/stack/partEndpoints';
import { PartProcess } from '../../../local/stack/PartProcess';

/** PartProcess on small scripts that behave as a part might: crash, exit, announce an endpoint late. */
describe('PartProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-part-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const part = (name: string, source: string, args: string[] = []): PartProcess => {
    const script = join(dir, `${name}.js`);
    writeFileSync(script, source);
    return new PartProcess(name, args, { script });
  };
  const never = (): undefined => undefined;

  test('a part killed by a signal before it is ready fails its start at once, naming the signal', async () => {
    const crashing = part('crashing', "console.log('starting'); process.kill(process.pid, 'SIGKILL');");
    const started = Date.now();
    await expect(crashing.start(never, 20_000)).rejects.toThrow(/^crashing exited on SIGKILL before it was ready:\nstarting/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('the output a part wrote before it exited is all there; what it never wrote fails at once', async () => {
    const brief = part('brief', "console.log('ready'); setTimeout(() => console.log('last words'), 100);");
    await brief.start((output) => (output.includes('ready') ? true : undefined));
    expect(await brief.waitForOutput(/last words/)).toBe('ready\nlast words\n');
    await expect(brief.waitForOutput('more', 20_000)).rejects.toThrow(/^brief exited with code 0 before it was showing more:/);
  });

  test('stop sends the signal asked for and resolves with the exit code', async () => {
    const source = "process.on('SIGINT', () => process.exit(3)); console.log('ready'); setInterval(() => {}, 1000);";
    const interrupted = part('interrupted', source);
    await interrupted.start((output) => (output.includes('ready') ? true : undefined));
    expect(await interrupted.stop('SIGINT')).toBe(3);
  });

  test('hostEndpoint waits for the endpoint the host being started writes, not one a killed host left behind', async () => {
    const dataDir = mkdtempSync(join(dir, 'host-'));
    const endpoint = { port: 1, baseUrl: 'http://localhost:1', pid: 1, functions: [] };
    writeFileSync(join(dataDir, 'endpoint.json'), JSON.stringify({ ...endpoint, baseUrl: 'http://stale' }));
    const source = `setTimeout(() => require('node:fs').writeFileSync(process.argv[2], ${JSON.stringify(JSON.stringify(endpoint))}), 200);
      setInterval(() => {}, 1000);`;
    const host = part('late-host', source, [join(dataDir, 'endpoint.json')]);
    try {
      expect(await host.start(hostEndpoint(dataDir), 10_000)).toEqual(endpoint);
    } finally {
      await host.stop();
    }
  });
});
