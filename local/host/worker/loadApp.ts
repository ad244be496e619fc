import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { globSync } from 'tinyglobby';

interface PackageJson {
  main?: string;
  type?: string;
}

// TypeScript compiles import() to require() for CommonJS output; ES module apps need the real one.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** The entry files of an app: package.json `main`, a path or a glob, relative to the app dir. */
export function entryPoints(appDir: string): string[] {
  const pkg = readPackageJson(appDir);
  if (!pkg.main)
    throw new Error(`${join(appDir, 'package.json')} has no "main": set it to the file (or glob) that registers the functions.`);
  const files = globSync(pkg.main, { cwd: appDir, absolute: true, onlyFiles: true }).sort();
  if (files.length === 0) throw new Error(`Found zero files matching the supplied pattern "${pkg.main}" (package.json main) in ${appDir}.`);
  return files;
}

/**
 * Loads the app as the Node.js worker does: every entry file, by require or, for ES modules, import.
 * The app's own modules are loaded afresh, so a second host in this process registers again.
 */
export async function loadApp(appDir: string): Promise<string[]> {
  const dir = resolve(appDir);
  const pkg = readPackageJson(dir);
  const files = entryPoints(dir);
  forgetAppModules(dir);
  // The real module system even under a test runner that replaces `require('module')`.
  const { createRequire } = process.getBuiltinModule('module') as typeof import('node:module');
  const appRequire = createRequire(join(dir, 'package.json'));
  for (const file of files) {
    try {
      if (isEsModule(file, pkg)) await importModule(pathToFileURL(file).href);
      else appRequire(file);
    } catch (error) {
      throw new Error(`Worker was unable to load entry point "${file}": ${(error as Error).message ?? error}`, { cause: error });
    }
  }
  return files;
}

function isEsModule(file: string, pkg: PackageJson): boolean {
  const ext = extname(file);
  if (ext === '.mjs') return true;
  if (ext === '.cjs') return false;
  return pkg.type === 'module';
}

function readPackageJson(appDir: string): PackageJson {
  const file = join(appDir, 'package.json');
  if (!existsSync(file)) throw new Error(`${appDir} is not a Node.js function app: it has no package.json.`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function forgetAppModules(appDir: string): void {
  const { _cache: cache } = process.getBuiltinModule('module') as unknown as { _cache: Record<string, unknown> };
  const prefix = appDir + sep;
  for (const id of Object.keys(cache)) {
    if (id.startsWith(prefix) && !id.slice(prefix.length).split(sep).includes('node_modules')) delete cache[id];
  }
}
