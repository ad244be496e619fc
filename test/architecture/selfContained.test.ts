import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/**
 * The repository stands on its own: nothing in code, tests or docs points at notes a person who
 * clones it cannot see (folders beside the checkout, a tracker's issue numbers).
 */
const REPO = resolve(__dirname, '../..');
const SKIPPED = new Set(['node_modules', 'dist', 'build', '.git', 'coverage', '.fleetwave']);
const TEXT = /\.(ts|js|mjs|cjs|json|md|yml|yaml|sh)$|^\.ci\/run$/;

const OUTSIDE_REFERENCES = [
  { what: 'a folder beside the repository', pattern: /\.\.\/shared\b|\bshared\/docs\b/ },
  { what: "a tracker's issue number", pattern: /\b(issue|task)\s+#?\d+\b/i },
];

function trackedText(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return trackedText(path);
    const file = relative(REPO, path).split(sep).join('/');
    return entry.isFile() && TEXT.test(file) && file !== 'package-lock.json' ? [file] : [];
  });
}

test('no file refers to notes outside the repository', () => {
  const files = trackedText(REPO);
  expect(files).toEqual(expect.arrayContaining(['README.md', 'functions/src/index.ts', 'docs/protocol.md']));
  const found = files.flatMap((file) =>
    readFileSync(join(REPO, file), 'utf8')
      .split('\n')
      .flatMap((line, index) =>
        OUTSIDE_REFERENCES.filter(({ pattern }) => pattern.test(line)).map(({ what }) => `${file}:${index + 1} points at ${what}`),
      ),
  );
  expect(found).toEqual([]);
});
