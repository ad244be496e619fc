import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HUB_CONNECTION_FILE, type HubConnectionInfo } from '../hub/connectionInfo';

export const DEFAULT_HUB_DATA_DIR = '.fleetwave/hub';

/** The connection info a running `fleetwave hub` wrote to its data dir. */
export function readConnectionInfo(dataDir: string): HubConnectionInfo {
  const file = join(resolve(dataDir), HUB_CONNECTION_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HubConnectionInfo;
  } catch {
    throw new Error(`No running hub found: ${file} is missing or unreadable. Start one with 'fleetwave hub --data-dir ${dataDir}'.`);
  }
}
