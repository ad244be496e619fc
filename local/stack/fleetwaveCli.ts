import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The built `fleetwave` CLI (package.json bin), also when this module runs from source in tests. */
export const FLEETWAVE_CLI = fleetwaveBin();

function fleetwaveBin(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; bin?: Record<string, string> };
    if (pkg.name === 'fleetwave' && pkg.bin?.fleetwave) return join(dir, pkg.bin.fleetwave);
  }
  throw new Error('Cannot find the fleetwave package (and its built CLI) above ' + __dirname);
}
