/**
 * `npm run package`: the function app as Azure runs it, in a folder and a zip of its own — the
 * compiled app and contracts, the built dashboard, host.json, and the production node_modules of the app's
 * dependencies alone, installed afresh from its own package.json. Nothing of the local stack,
 * the agent, the benches or the tests goes in, and the result is checked for that before it is
 * zipped.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { ZipFile } from 'yazl';

const run = promisify(execFile);

/**
 * Packages only the local stack uses: none may reach a deployable (the app or the agent) through
 * its package.json. One may reach the app's node_modules only as a dependency of an SDK the app
 * uses (azure-iothub's own rhea 1.x for its AMQP transport).
 */
export const LOCAL_STACK_ONLY = [
  'aedes',
  'rhea',
  'better-sqlite3',
  'commander',
  'cli-progress',
  'cli-table3',
  'selfsigned',
  'send',
  'yazl',
];

/** One way a local-stack package got into a package: the chain of packages that require it. */
export interface LocalStackPath {
  name: string;
  version: string;
  via: string[];
}

/** What the compiled app may consist of: the function app, the contracts it shares and the dashboard it serves. */
const APP_CODE = ['dist/functions', 'dist/contracts', 'dist/dashboard/www'];

/** Core Tools (`func azure functionapp publish` from the folder) leaves these out. */
const FUNCIGNORE = ['.funcignore', 'local.settings.json', '*.map', '*.zip', ''].join('\n');

export interface PackageAppOptions {
  /** The repository root: its package.json is the app's, dist/ holds the compiled tree. */
  repoDir: string;
  /** Where the folder goes; the zip is written next to it as <outDir>.zip. */
  outDir: string;
  log?: (message: string) => void;
}

export interface PackagedApp {
  dir: string;
  zip: string;
  files: number;
  dependencies: Record<string, string>;
}

interface AppPackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  main: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
}

export async function packageApp(options: PackageAppOptions): Promise<PackagedApp> {
  const log = options.log ?? (() => undefined);
  const root = JSON.parse(readFileSync(join(options.repoDir, 'package.json'), 'utf8')) as AppPackageJson;
  for (const dir of APP_CODE) {
    if (!existsSync(join(options.repoDir, dir))) throw new Error(`${dir} is missing: build first (npm run build).`);
  }
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(options.outDir, { recursive: true });
  for (const dir of APP_CODE) {
    cpSync(join(options.repoDir, dir), join(options.outDir, dir), { recursive: true, filter: (path) => !path.endsWith('.map') });
  }
  copyFileSync(join(options.repoDir, 'host.json'), join(options.outDir, 'host.json'));
  writeFileSync(join(options.outDir, '.funcignore'), FUNCIGNORE);

  // The versions the repository was built and tested with, pinned, so Azure runs the same code.
  const dependencies = pinnedVersions(options.repoDir, Object.keys(root.dependencies));
  const pkg: AppPackageJson = {
    name: root.name,
    version: root.version,
    description: root.description,
    license: root.license,
    main: root.main,
    engines: root.engines,
    dependencies,
  };
  writeFileSync(join(options.outDir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  if (!existsSync(join(options.outDir, pkg.main))) throw new Error(`package.json main ${pkg.main} is not in the package.`);

  log(`installing the app's ${Object.keys(dependencies).length} production dependencies…`);
  await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: options.outDir });
  const paths = await localStackPaths(options.outDir);
  const direct = paths.filter((path) => path.via.length === 0);
  if (direct.length > 0) throw new Error(`the app depends on local-stack packages: ${direct.map((path) => path.name).join(', ')}.`);
  for (const path of paths) log(`note: ${path.name} ${path.version} is in the package as a dependency of ${path.via.join(' > ')}`);

  const zip = `${options.outDir}.zip`;
  const files = await zipFolder(options.outDir, zip);
  log(`packaged ${files} files into ${relative(process.cwd(), options.outDir) || '.'} and ${relative(process.cwd(), zip)}`);
  return { dir: options.outDir, zip, files, dependencies };
}

function pinnedVersions(repoDir: string, names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.sort().map((name) => {
      const manifest = join(repoDir, 'node_modules', name, 'package.json');
      if (!existsSync(manifest)) throw new Error(`dependency ${name} is not installed: run npm install first.`);
      return [name, (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version];
    }),
  );
}

interface NpmLsNode {
  version?: string;
  dependencies?: Record<string, NpmLsNode>;
}

/** Every local-stack package installed in dir, with the packages that pulled it in (`npm ls --all`). */
export async function localStackPaths(dir: string): Promise<LocalStackPath[]> {
  const { stdout } = await run('npm', ['ls', '--all', '--json', ...LOCAL_STACK_ONLY], { cwd: dir }).catch(
    // npm ls exits 1 when it finds nothing; its JSON is still on stdout.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }),
  );
  const found: LocalStackPath[] = [];
  const visit = (node: NpmLsNode, via: string[]) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (LOCAL_STACK_ONLY.includes(name)) found.push({ name, version: child.version ?? '?', via });
      visit(child, [...via, name]);
    }
  };
  visit(JSON.parse(stdout) as NpmLsNode, []);
  return found;
}

/** Regular files only: npm's .bin links are for command lines, not for the app at run time. */
function zipFolder(dir: string, zipPath: string): Promise<number> {
  const zip = new ZipFile();
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    zip.addFile(path, relative(dir, path).split(sep).join('/'));
  }
  mkdirSync(dirname(zipPath), { recursive: true });
  return new Promise((done, fail) => {
    const out = createWriteStream(zipPath);
    out.once('error', fail);
    out.once('close', () => done(entries.length));
    zip.outputStream.once('error', fail).pipe(out);
    zip.end();
  });
}
