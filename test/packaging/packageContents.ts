import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Packages only the local stack needs: none may reach a deployable (the app or the agent). */
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

/** Every file below dir, as '/'-separated paths relative to it, node_modules left out. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((file) => !file.startsWith('node_modules/'))
    .sort();
}
