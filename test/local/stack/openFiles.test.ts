import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOpenFilesFor, openFileLimit } from '../../../local/stack/openFiles';
import { startLocalStack } from '../../../local/stack/startLocalStack';

describe('open files for the simulated fleet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-open-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the limit is this process's own (Linux /proc), its soft value; null where the system does not say", () => {
    const limits = join(dir, 'limits');
    writeFileSync(
      limits,
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
        'Max processes             94499                94499                processes \n' +
        'Max open files            1024                 524288               files     \n',
    );
    expect(openFileLimit(limits)).toBe(1024);
    expect(openFileLimit(join(dir, 'missing'))).toBeNull();
    expect(openFileLimit()).toEqual(expect.any(Number));
  });

  test('devices that fit pass; more is an error naming the need, the limit and what to do', () => {
    expect(() => checkOpenFilesFor(384, 1024)).not.toThrow();
    expect(() => checkOpenFilesFor(385, 1024)).toThrow(
      new Error(
        "385 simulated devices need about 1026 open files in this one process (the hub's end and the device's end of every " +
          'connection), but it may open 1024 (ulimit -n). Raise the limit if the system allows (ulimit -n 1026), or run at most ' +
          '384 devices here; for more, run the hub and the fleet as processes of their own (fleetwave hub, fleetwave fleet).',
      ),
    );
    expect(() => checkOpenFilesFor(1_000_000, null)).not.toThrow();
  });

  test('the local stack refuses a fleet past the limit at once, before any part starts', async () => {
    const limit = openFileLimit()!;
    const dataDir = join(dir, 'stack');
    await expect(
      startLocalStack({
        dataDir,
        devices: Math.ceil(limit / 2),
        appDir: dir,
        ports: { https: 0, mqtt: 0, amqp: 0, firmware: 0, host: 0 },
        failDownload: 0,
        failApply: 0,
        offline: 0,
        seed: 'limit',
        log: () => undefined,
      }),
    ).rejects.toThrow(`but it may open ${limit} (ulimit -n)`);
    // Nothing started: not even the data dir is there.
    expect(existsSync(dataDir)).toBe(false);
  });
});
