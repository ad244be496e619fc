import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The boundaries between the deployables, checked on every import of every source file: the
 * function app and the device agent ship alone, so neither may reach into the local stack, and
 * each package must declare (and use) exactly the packages its code imports.
 */
const REPO = resolve(__dirname, '../..');

interface Part {
  /** Source folder, relative to the repository. */
  dir: string;
  /** The package.json whose dependencies the part's code may import. */
  manifest: string;
  /** Folders the part may import relatively, besides its own. */
  mayImport: string[];
  /** Folders inside the part that must not import one another. */
  apart?: [string, string][];
}

const PARTS: Part[] = [
  { dir: 'contracts', manifest: 'contracts/package.json', mayImport: [] },
  { dir: 'functions', manifest: 'package.json', mayImport: ['contracts'] },
  { dir: 'device', manifest: 'device/package.json', mayImport: ['contracts'] },
  // The browser app: it shares the API's types with the app, nothing else.
  { dir: 'dashboard', manifest: 'dashboard/package.json', mayImport: ['contracts'] },
  {
    dir: 'local',
    manifest: 'local/package.json',
    mayImport: ['contracts', 'device'],
    // The dev host runs any function app against any hub; the emulator knows nothing of hosts.
    apart: [
      ['local/host', 'local/hub'],
      ['local/hub', 'local/host'],
    ],
  },
];

const BUILTINS = new Set(builtinModules);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(REPO, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((file) => !file.split('/').includes('node_modules') && !file.split('/').includes('dist'));
}

/** Every module specifier a file imports, requires or import()s, types included. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(REPO, file), 'utf8'), true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

/** 'zod' from 'zod/v4', '@azure/functions' from '@azure/functions/x'. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function declared(manifest: string): Set<string> {
  const pkg = JSON.parse(readFileSync(join(REPO, manifest), 'utf8')) as { dependencies?: Record<string, string> };
  return new Set(Object.keys(pkg.dependencies ?? {}));
}

function within(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

describe.each(PARTS)('$dir', (part) => {
  const files = sourceFiles(part.dir);
  const imports = files.flatMap((file) => importsOf(file).map((specifier) => ({ file, specifier })));

  test('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test(`imports relatively only from itself and ${part.mayImport.join(', ') || 'nothing else'}`, () => {
    const allowed = [part.dir, ...part.mayImport];
    const outside = imports
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ file, specifier }) => ({
        file,
        target: relative(REPO, resolve(REPO, dirname(file), specifier))
          .split(sep)
          .join('/'),
      }))
      .filter(({ target }) => !allowed.some((dir) => within(target, dir)));
    expect(outside).toEqual([]);
  });

  test(`imports only the packages ${part.manifest} declares, and declares none it does not import`, () => {
    const deps = declared(part.manifest);
    const used = new Set(
      imports
        .map(({ specifier }) => specifier)
        .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !BUILTINS.has(specifier))
        .map(packageName),
    );
    expect([...used].filter((name) => !deps.has(name) && !deps.has(name.replace(/^@types\//, ''))).sort()).toEqual([]);
    expect([...deps].filter((name) => !used.has(name)).sort()).toEqual([]);
  });

  if (part.apart) {
    test.each(part.apart)('%s does not import %s', (from, to) => {
      const crossing = imports
        .filter(({ file, specifier }) => within(file, from) && specifier.startsWith('.'))
        .filter(({ file, specifier }) =>
          within(
            relative(REPO, resolve(REPO, dirname(file), specifier))
              .split(sep)
              .join('/'),
            to,
          ),
        );
      expect(crossing).toEqual([]);
    });
  }
});

test('tests do not import the benches: what both use lives in the local stack (local/probes, local/stack)', () => {
  const intoBench = sourceFiles('test').flatMap((file) =>
    importsOf(file)
      .filter((specifier) => specifier.startsWith('.'))
      .filter((specifier) =>
        within(
          relative(REPO, resolve(REPO, dirname(file), specifier))
            .split(sep)
            .join('/'),
          'bench',
        ),
      )
      .map((specifier) => `${file} imports ${specifier}`),
  );
  expect(intoBench).toEqual([]);
});
