import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FirmwareUpdateReport } from '../../contracts/firmwareUpdate';
import { FleetSimulator, type FleetOptions } from '../../local/fleet/FleetSimulator';
import { freePorts } from '../../local/probes/freePorts';
import { startLocalStack, type LocalStackOptions, type RunningLocalStack } from '../../local/stack/startLocalStack';

/** The repository root: its package.json main is the compiled function app (npm test builds it). */
export const REPO_APP_DIR = resolve(__dirname, '../..');

export type StackFaults = { failDownload?: number; failApply?: number; seed?: string; installMs?: number };
export type StackHub = Pick<LocalStackOptions, 'throttling' | 'appSettings' | 'signedFirmware'>;

/** The whole local stack on free ports in a temp dir, running the app in appDir; close() removes the dir. */
export async function localStack(
  devices: number,
  faults: StackFaults = {},
  hub: StackHub = {},
  appDir: string = REPO_APP_DIR,
): Promise<RunningLocalStack> {
  const [https, mqtt, amqp, firmware, host] = await freePorts(5);
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-e2e-'));
  const running = await startLocalStack({
    dataDir,
    devices,
    appDir,
    ports: { https, mqtt, amqp, firmware, host },
    failDownload: faults.failDownload ?? 0,
    failApply: faults.failApply ?? 0,
    offline: 0,
    seed: faults.seed ?? 'e2e',
    installMs: faults.installMs ?? 0,
    ...hub,
    log: () => undefined,
  });
  const close = running.close;
  return {
    ...running,
    close: async () => {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A rollout of the stack's demo image to its demo fleet; extra fields override. */
export function demoRolloutSpec(s: RunningLocalStack, extra: Record<string, unknown> = {}) {
  const { image } = s.firmware;
  return {
    firmware: { version: image.version, uri: image.uri, sha256: image.sha256, size: image.size },
    target: { query: "tags.fleet = 'demo'" },
    ...extra,
  };
}

/** More devices on the stack's hub, with real agents, on 1.0.0 (registered now; stateRoot is the caller's to remove). */
export function moreDevices(
  s: RunningLocalStack,
  options: Pick<
    FleetOptions,
    'count' | 'prefix' | 'tags' | 'seed' | 'stateRoot' | 'failDownload' | 'installMs' | 'trustRoots' | 'requireSigned' | 'deviceModel'
  >,
): Promise<FleetSimulator> {
  return new FleetSimulator({
    serviceConnectionString: s.hub.serviceConnectionString,
    gatewayHostName: `${s.hub.mqtt.host}:${s.hub.mqtt.port}`,
    ca: readFileSync(s.hub.caCertPath, 'utf8'),
    fw: '1.0.0',
    ...options,
  }).start();
}

/** Accepted firmwareUpdate calls per device from now on, counted at the hub: each starts with a `waiting` report. */
export function countUpdateStarts(s: RunningLocalStack): Map<string, number> {
  const calls = new Map<string, number>();
  type Reported = { properties?: { reported?: { iothubDM?: { firmwareUpdate?: Partial<FirmwareUpdateReport> | null } } } };
  s.hub.registry.on('twinChanged', (change: { deviceId: string; body: unknown }) => {
    if ((change.body as Reported).properties?.reported?.iothubDM?.firmwareUpdate?.status === 'waiting')
      calls.set(change.deviceId, (calls.get(change.deviceId) ?? 0) + 1);
  });
  return calls;
}
