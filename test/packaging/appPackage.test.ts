import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { watchRollout } from '../../local/cli/rollouts/watchRollout';
import { localStackPaths, packageApp } from '../../local/packaging/packageApp';
import { demoRolloutSpec, localStack } from '../support/localStackFixture';
import { filesUnder } from './packageContents';

const REPO = resolve(__dirname, '../..');

/** Entries in a zip's central directory, from its end record (the zip has no comment). */
function zipEntryCount(zip: Buffer): number {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  return zip.readUInt16LE(end + 10);
}

/**
 * `npm run package` output as Azure would get it: the folder alone, moved away from the
 * repository (so nothing resolves from the repository's node_modules), run by the dev host.
 */
describe('the deployable app package (npm run package)', () => {
  jest.setTimeout(300_000);
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-app-package-'));
  const appDir = join(work, 'deployed');
  let packaged: Awaited<ReturnType<typeof packageApp>>;

  beforeAll(async () => {
    packaged = await packageApp({ repoDir: REPO, outDir: join(work, 'build', 'app') });
    cpSync(packaged.dir, appDir, { recursive: true, verbatimSymlinks: true });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('holds the compiled app and contracts, the dashboard, host.json and production dependencies: no local-stack, agent, bench or test code', async () => {
    const files = filesUnder(appDir);
    const code = files.filter((file) => file.startsWith('dist/'));
    expect(code).toContain('dist/functions/src/index.js');
    expect(code.filter((file) => file.startsWith('dist/dashboard/'))).toEqual([
      'dist/dashboard/www/index.html',
      'dist/dashboard/www/main.css',
      'dist/dashboard/www/main.js',
    ]);
    expect(code.filter((file) => !/^dist\/(functions\/src|contracts)\/.+\.js$/.test(file) && !file.startsWith('dist/dashboard/'))).toEqual(
      [],
    );
    expect(files.filter((file) => !file.startsWith('dist/'))).toEqual(['.funcignore', 'host.json', 'package-lock.json', 'package.json']);
    expect(readFileSync(join(appDir, 'host.json'), 'utf8')).toBe(readFileSync(join(REPO, 'host.json'), 'utf8'));

    const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
    const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
    expect(pkg.main).toBe(root.main);
    expect(Object.keys(pkg.dependencies)).toEqual(Object.keys(root.dependencies).sort());
    for (const version of Object.values(pkg.dependencies)) expect(version).toMatch(/^\d+\.\d+\.\d+/);

    // No local-stack package at the top or pulled in by the app; only azure-iothub's own AMQP library may bring one.
    const installed = readdirSync(join(appDir, 'node_modules'));
    expect(installed.filter((name) => ['aedes', 'better-sqlite3', 'commander', 'yazl', '@fleetwave'].includes(name))).toEqual([]);
    expect(await localStackPaths(appDir)).toEqual([{ name: 'rhea', version: expect.stringMatching(/^1\./), via: ['azure-iothub'] }]);

    expect(zipEntryCount(readFileSync(packaged.zip))).toBe(packaged.files);
  });

  test('runs a rollout in the dev host from the moved folder alone, and serves the dashboard: every device updated', async () => {
    const s = await localStack(12, {}, {}, appDir);
    try {
      const page = await fetch(`${s.apiUrl}/dashboard`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('src="/api/dashboard/main.js"');
      expect((await fetch(`${s.apiUrl}/dashboard/main.js`)).status).toBe(200);

      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(demoRolloutSpec(s, { waves: [{ name: 'all', percent: 100 }] }));
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.state).toBe('completed');
      expect(final.totals).toMatchObject({ targeted: 12, succeeded: 12, failed: 0, timedOut: 0 });
    } finally {
      await s.close();
    }
  });
});
