import { readFileSync } from 'node:fs';

/**
 * Open files the stack's own process needs beyond its devices: the hub's stores, the firmware server,
 * the endpoints and the dev host's pipes, with room to spare.
 */
const BASE_OPEN_FILES = 256;

/** Each simulated device is one MQTT connection with both of its ends in the stack's process: the agent's and the hub's. */
const OPEN_FILES_PER_DEVICE = 2;

/** The most files this process may have open (RLIMIT_NOFILE, which Node raises to the hard limit), where the system says (Linux); null elsewhere. */
export function openFileLimit(limits = '/proc/self/limits'): number | null {
  let text: string;
  try {
    text = readFileSync(limits, 'utf8');
  } catch {
    return null;
  }
  const soft = /^Max open files\s+(\d+)/m.exec(text)?.[1];
  return soft === undefined ? null : Number(soft);
}

/**
 * Throws, before anything starts, when `devices` simulated devices cannot all connect in this process:
 * past the limit, connects fail for want of a file descriptor and are retried for ever.
 */
export function checkOpenFilesFor(devices: number, limit = openFileLimit()): void {
  const needed = BASE_OPEN_FILES + devices * OPEN_FILES_PER_DEVICE;
  if (limit === null || needed <= limit) return;
  throw new Error(
    `${devices} simulated devices need about ${needed} open files in this one process (the hub's end and the ` +
      `device's end of every connection), but it may open ${limit} (ulimit -n). Raise the limit if the system ` +
      `allows (ulimit -n ${needed}), or run at most ${Math.floor((limit - BASE_OPEN_FILES) / OPEN_FILES_PER_DEVICE)} devices here; ` +
      `for more, run the hub and the fleet as processes of their own (fleetwave hub, fleetwave fleet).`,
  );
}
