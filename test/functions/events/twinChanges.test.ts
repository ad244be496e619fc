jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { FirmwareUpdateRequest, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { toReport } from '../../../device/agent/stateStore';
import type { UpdateState } from '../../../device/agent/stateStore';
import { classifyEvent, twinChanges } from '../../../functions/src/events/twinChanges';
import type { BatchSummary } from '../../../functions/src/events/twinChanges';
import type { TwinReportEvent, TwinReportsEvent } from '../../../functions/src/orchestrators/names';
import type { JsonObject } from '../../../local/hub/twin';
import { FIRMWARE } from '../support/fixtures';
import { TwinOnHub, hostBatch, telemetry } from '../support/iotHubEvents';
import type { BodyForm } from '../support/iotHubEvents';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.instances.clear();
  api.addInstance({ name: 'rolloutDevice', instanceId: 'fw-1:d:thermo~7' });
  api.addInstance({ name: 'rolloutDevice', instanceId: 'fw-1:d:pump-2' });
});

const REQUEST: FirmwareUpdateRequest = { rolloutId: 'fw-1', fwVersion: FIRMWARE.version, fwPackageUri: FIRMWARE.uri, sha256: FIRMWARE.sha256, size: FIRMWARE.size };

/** The reported patch the device agent writes for a state (device/agent: commit → toReport). */
function agentPatch(status: FirmwareUpdateStatus, options: { progress?: number; currentFwVersion?: string; error?: UpdateState['error'] } = {}): JsonObject {
  const update: UpdateState = {
    request: REQUEST,
    status,
    error: options.error ?? null,
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    times: { startedWaitingTime: '2025-01-01T00:00:01.000Z', startedDownloadingTime: null, downloadCompleteTime: null, startedApplyingImage: null, lastFirmwareUpdate: null },
  };
  const patch: JsonObject = { iothubDM: { firmwareUpdate: toReport(update) as unknown as JsonObject } };
  if (options.progress === undefined || status !== 'downloading') patch.firmware = { currentFwVersion: options.currentFwVersion ?? '1.0.0' };
  return patch;
}

async function deliver(events: Parameters<typeof hostBatch>[0], form: BodyForm = 'json'): Promise<{ summary: BatchSummary; lines: string[] }> {
  const batch = hostBatch(events, form);
  const context = api.context('twinChanges', { triggerMetadata: batch.triggerMetadata });
  const summary = await twinChanges(batch.messages, context);
  return { summary, lines: context.lines };
}

/** The reports raised on an instance, across its events. */
const raised = (instanceId: string): TwinReportEvent[] => api.instances.get(instanceId)!.events.flatMap((event) => {
  expect(event.name).toBe('twinReport');
  return (event.data as TwinReportsEvent).reports;
});
const raiseCount = (instanceId: string): number => api.instances.get(instanceId)!.events.length;

describe('twin-change event handler', () => {
  test("a device's whole update, as the hub routes it, reaches its orchestration in order with each $version", async () => {
    const twin = new TwinOnHub('thermo#7');
    const events = [
      twin.reported(agentPatch('waiting')),
      twin.reported(agentPatch('downloading', { progress: 0 })),
      twin.reported(agentPatch('downloading', { progress: 37 })), // progress between tenths: not forwarded
      twin.reported(agentPatch('downloading', { progress: 50 })),
      twin.reported(agentPatch('downloadComplete')),
      twin.reported(agentPatch('applying')),
      twin.reported(agentPatch('applyComplete', { currentFwVersion: '2.1.0' })),
    ];
    const { summary } = await deliver(events);
    expect(summary).toEqual({ events: 7, forwarded: 6, ignored: 1, malformed: 0, vanished: 0, failed: 0 });
    // One raise for the device's six reports of the batch.
    expect(raiseCount('fw-1:d:thermo~7')).toBe(1);
    const reports = raised('fw-1:d:thermo~7');
    expect(reports.map((r) => [r.twinVersion, r.firmwareUpdate?.status, r.firmwareUpdate?.progress])).toEqual([
      [2, 'waiting', undefined],
      [3, 'downloading', 0],
      [5, 'downloading', 50],
      [6, 'downloadComplete', undefined],
      [7, 'applying', undefined],
      [8, 'applyComplete', undefined],
    ]);
    expect(reports[5]).toMatchObject({ currentFwVersion: '2.1.0', firmwareUpdate: { rolloutId: 'fw-1', fwVersion: '2.1.0', error: null }, enqueuedTime: expect.any(String) });
    // The patch's `error: null` (a delete) arrives as no error.
    expect(reports[0].firmwareUpdate!.error).toBeNull();
  });

  test.each(['text', 'bytes'] as const)('bodies delivered as %s are read the same way', async (form) => {
    const twin = new TwinOnHub('pump-2');
    const { summary } = await deliver([twin.reported(agentPatch('downloadFailed', { error: { code: 'hashMismatch', message: 'sha256 differs' } }))], form);
    expect(summary.forwarded).toBe(1);
    expect(raised('fw-1:d:pump-2')[0]).toMatchObject({ twinVersion: 2, firmwareUpdate: { status: 'downloadFailed', error: { code: 'hashMismatch', message: 'sha256 differs' } } });
  });

  test('other events are ignored, malformed ones and vanished instances logged; the batch never fails for them', async () => {
    const thermo = new TwinOnHub('thermo#7');
    const other = new TwinOnHub('sensor-1');
    const malformedBody = { ...thermo.reported(agentPatch('waiting')), body: Buffer.from('{"version": 3, "properties": ') };
    const noDeviceId = new TwinOnHub('x').reported(agentPatch('waiting'));
    delete noDeviceId.annotations['iothub-connection-device-id'];
    delete noDeviceId.properties.deviceId;
    const moduleTwin = new TwinOnHub('thermo#7').reported(agentPatch('waiting'));
    moduleTwin.annotations['iothub-connection-module-id'] = 'edgeAgent';
    const badStatus = new TwinOnHub('thermo#7').reported({ iothubDM: { firmwareUpdate: { status: 'exploded', rolloutId: 'fw-1', fwVersion: '2.1.0' } } });
    const badRollout = new TwinOnHub('thermo#7').reported({ iothubDM: { firmwareUpdate: { status: 'waiting', rolloutId: 'no spaces allowed', fwVersion: '2.1.0' } } });
    const events = [
      telemetry('thermo#7', { temperature: 21.5 }),
      thermo.service({ tags: { ring: 'canary' }, desired: { interval: 30 } }),
      thermo.reported({ battery: 87 }),
      thermo.reported({ iothubDM: { firmwareUpdate: null } }),
      moduleTwin,
      malformedBody,
      noDeviceId,
      badStatus,
      badRollout,
      other.reported(agentPatch('waiting')), // a device that is no target: no instance
      thermo.reported(agentPatch('waiting')),
    ];
    const { summary, lines } = await deliver(events);
    expect(summary).toEqual({ events: 11, forwarded: 1, ignored: 5, malformed: 4, vanished: 1, failed: 0 });
    expect(raised('fw-1:d:thermo~7')).toHaveLength(1);
    expect(lines.filter((line) => line.includes('twinChange.malformed'))).toHaveLength(4);
    expect(lines.some((line) => line.includes('twinChange.noInstance') && line.includes('"deviceId":"sensor-1"'))).toBe(true);
  });

  test('when the Durable API cannot take an event, the batch fails so it is delivered again', async () => {
    api.raiseEventStatus = 503;
    try {
      const twin = new TwinOnHub('thermo#7');
      const batch = hostBatch([twin.reported(agentPatch('waiting')), telemetry('thermo#7', {})]);
      const context = api.context('twinChanges', { triggerMetadata: batch.triggerMetadata });
      await expect(twinChanges(batch.messages, context)).rejects.toThrow(/1 of 2 twin-change events could not be raised/);
      expect(context.lines.some((line) => line.includes('twinChange.raiseFailed'))).toBe(true);
    } finally {
      api.raiseEventStatus = null;
    }
  });

  test('an event for a finished orchestration is accepted (Durable answers 410) and not retried', async () => {
    api.instances.get('fw-1:d:pump-2')!.runtimeStatus = 'Completed';
    const { summary } = await deliver([new TwinOnHub('pump-2').reported(agentPatch('applyComplete', { currentFwVersion: '2.1.0' }))]);
    expect(summary).toMatchObject({ forwarded: 1, failed: 0 });
  });

  test('classification by example', () => {
    const twin = new TwinOnHub('a%41');
    const event = twin.reported(agentPatch('waiting'));
    const classified = classifyEvent(JSON.parse(event.body.toString()), event.annotations, event.properties);
    expect(classified).toMatchObject({ kind: 'report', deviceId: 'a%41', rolloutId: 'fw-1', instanceId: 'fw-1:d:a%41', event: { twinVersion: 2 } });
    expect(classifyEvent({ properties: { reported: agentPatch('waiting') } }, { 'iothub-message-source': 'twinChangeEvents', 'iothub-connection-device-id': 'd' }, {})).toEqual({
      kind: 'malformed',
      problem: 'properties.reported.$version must be a non-negative integer',
      deviceId: 'd',
    });
    expect(classifyEvent(null, { 'iothub-message-source': 'deviceLifecycleEvents', 'iothub-connection-device-id': 'd' }, {})).toMatchObject({ kind: 'ignored' });
  });
});
