/**
 * The service script Azure IoT Hub's Node.js firmware-update tutorial teaches (a direct method
 * starts the update, the service polls the device twin), made to cover a fleet: for each device,
 * invoke the firmware update method, then query its twin once a second (the tutorial's
 * `setInterval(queryTwinFWUpdateReported, 1000)`, first query a second after the call) until the
 * device reports the end of the update. `concurrency` devices are worked on at a time; 1 is the
 * tutorial's script run device after device.
 *
 * Fixed from the tutorial, so that it measures the approach and not its bugs: the method is our
 * contract's `firmwareUpdate` with a full request, the query names the device it is about, and a
 * report counts only if it belongs to this run (a device's twin still shows the last rollout's
 * applyComplete until it starts this one).
 */
import { Client, Registry } from 'azure-iothub';
import { FIRMWARE_UPDATE_METHOD, type FirmwareUpdateReport, type FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';

export interface BaselineOptions {
  serviceConnectionString: string;
  deviceIds: string[];
  /** Devices worked on at once; 1 runs them one after the other. */
  concurrency: number;
  request: FirmwareUpdateRequest;
  /** The tutorial polls every 1000 ms. */
  pollIntervalMs?: number;
  /** A device that has not finished after this long is given up on. */
  deviceTimeoutMs?: number;
  /** Called as each device finishes, e.g. for a progress bar. */
  onDevice?: (outcome: DeviceOutcome) => void;
  /** Stop after this long (ms from the start): no device is started after it, and devices still polled end `unfinished`. */
  capMs?: number;
}

export type DeviceVerdict = 'succeeded' | 'failed' | 'timedOut' | 'invokeFailed' | 'unfinished';

export interface DeviceOutcome {
  deviceId: string;
  verdict: DeviceVerdict;
  /** From the method call until the twin query showed the end of the update. */
  ms: number;
  polls: number;
}

export interface BaselineResult {
  totalMs: number;
  outcomes: DeviceOutcome[];
  count: (verdict: DeviceVerdict) => number;
}

const TERMINAL: Record<string, DeviceVerdict> = { applyComplete: 'succeeded', downloadFailed: 'failed', applyFailed: 'failed' };

export async function runTutorialBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const client = Client.fromConnectionString(options.serviceConnectionString);
  const registry = Registry.fromConnectionString(options.serviceConnectionString);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const deviceTimeoutMs = options.deviceTimeoutMs ?? 5 * 60_000;
  const outcomes: DeviceOutcome[] = [];
  const runStarted = performance.now();
  const capped = (): boolean => options.capMs !== undefined && performance.now() - runStarted >= options.capMs;

  const updateOne = async (deviceId: string): Promise<DeviceOutcome> => {
    const started = performance.now();
    const done = (verdict: DeviceVerdict, polls: number): DeviceOutcome => ({ deviceId, verdict, ms: performance.now() - started, polls });
    try {
      await client.invokeDeviceMethod(deviceId, {
        methodName: FIRMWARE_UPDATE_METHOD,
        payload: options.request,
        responseTimeoutInSeconds: 30,
      });
    } catch {
      return done('invokeFailed', 0);
    }
    for (let polls = 1; performance.now() - started < deviceTimeoutMs; polls += 1) {
      if (capped()) return done('unfinished', polls - 1);
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      const report = await firmwareUpdateReport(registry, deviceId);
      const verdict = report?.rolloutId === options.request.rolloutId ? TERMINAL[report.status] : undefined;
      if (verdict !== undefined) return done(verdict, polls);
    }
    // At the run's cap a device still polled is unfinished, not timed out (a throttled script may not have seen it at all).
    return done(capped() ? 'unfinished' : 'timedOut', Math.floor(deviceTimeoutMs / pollIntervalMs));
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.deviceIds.length && !capped()) {
      const outcome = await updateOne(options.deviceIds[next++]);
      outcomes.push(outcome);
      options.onDevice?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.deviceIds.length) }, worker));
  const totalMs = performance.now() - runStarted;
  return { totalMs, outcomes, count: (verdict) => outcomes.filter((o) => o.verdict === verdict).length };
}

/** The tutorial's query: the device's twin, by id, through the query language. */
async function firmwareUpdateReport(registry: Registry, deviceId: string): Promise<FirmwareUpdateReport | undefined> {
  try {
    const query = registry.createQuery(`SELECT * FROM devices WHERE deviceId = '${deviceId}'`, 1);
    const { result } = await query.nextAsTwin();
    const reported = result[0]?.properties.reported as { iothubDM?: { firmwareUpdate?: FirmwareUpdateReport | null } } | undefined;
    return reported?.iothubDM?.firmwareUpdate ?? undefined;
  } catch {
    return undefined; // the tutorial logs and tries again on the next tick
  }
}
