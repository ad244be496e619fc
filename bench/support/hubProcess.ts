import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Client as DeviceClient } from 'azure-iot-device';

export async function openInBatches(clients: DeviceClient[], batch: number): Promise<void> {
  for (let i = 0; i < clients.length; i += batch) await Promise.all(clients.slice(i, i + batch).map((c) => c.open()));
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** `--name value` flags over defaults; a flag whose default is a number must be given a number. */
export function parseArgs<T extends Record<string, number | string>>(defaults: T): T {
  const result: Record<string, number | string> = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) {
    const name = process.argv[i].replace(/^--/, '');
    if (!(name in defaults))
      throw new Error(
        `unknown flag --${name}; known: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    const value = process.argv[i + 1] ?? '';
    if (typeof defaults[name] === 'number' && (value.trim() === '' || !Number.isFinite(Number(value))))
      throw new Error(`--${name} takes a number, got '${value}'`);
    result[name] = typeof defaults[name] === 'number' ? Number(value) : value;
  }
  return result as T;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}
