import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import { agentTestBed } from '../support/agentFixture';
import { firmwareRequest } from '../support/firmwareFixture';
import { eventually } from '../support/hubFixture';

describe('the device agent on the real device SDK against the local hub', () => {
  const { fx, fw, agents, image, invoke: invokeMethod, reported } = agentTestBed({ imageBytes: 256 * 1024 });

  const request = (rolloutId: string, overrides: Partial<FirmwareUpdateRequest> = {}) => firmwareRequest(image(), rolloutId, overrides);
  const invoke = (deviceId: string, payload: unknown) => invokeMethod(deviceId, 'firmwareUpdate', payload);

  test('the happy path reports exactly waiting → downloading → downloadComplete → applying → applyComplete', async () => {
    const { agent, installer } = await agents.agent('agent-happy');
    const started = Date.now();
    const answer = await invoke('agent-happy', request('r-happy'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answer).toEqual({ status: 200, payload: { status: 'accepted', rolloutId: 'r-happy' } });
    await agent.settled();
    expect(agents.statuses.get('agent-happy')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    // Neither the reboot step nor the reconnect after it repeats a report the twin already has.
    const reports = agents.reports.get('agent-happy')!;
    expect(reports.filter((status) => status !== 'downloading')).toEqual(['waiting', 'downloadComplete', 'applying', 'applyComplete']);
    const twin = await reported('agent-happy');
    expect(twin.firmware?.currentFwVersion).toBe('2.0.0');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({
      status: 'applyComplete',
      rolloutId: 'r-happy',
      fwVersion: '2.0.0',
      startedWaitingTime: expect.any(String),
      startedDownloadingTime: expect.any(String),
      downloadCompleteTime: expect.any(String),
      startedApplyingImage: expect.any(String),
      lastFirmwareUpdate: expect.any(String),
    });
    // A null is a delete in a twin patch: no error means no error property.
    expect(twin.iothubDM?.firmwareUpdate).not.toHaveProperty('error');
    expect(installer.activeSlot()).toBe('b');
  });

  test('a hash mismatch is downloadFailed/hashMismatch and nothing is installed', async () => {
    const { agent, installer, stateDir } = await agents.agent('agent-hash');
    await invoke('agent-hash', request('r-hash', { sha256: '0'.repeat(64) }));
    await agent.settled();
    expect(agents.statuses.get('agent-hash')).toEqual(['waiting', 'downloading', 'downloadFailed']);
    const twin = await reported('agent-hash');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({
      status: 'downloadFailed',
      error: { code: 'hashMismatch', message: expect.any(String) },
    });
    expect(twin.firmware?.currentFwVersion).toBe('1.0.0');
    expect(installer.activeSlot()).toBe('a');
    expect(existsSync(join(stateDir, 'slots', 'b.img'))).toBe(false);
  });

  test('a failed install is applyFailed and the old version stays', async () => {
    const { agent, installer } = await agents.agent('agent-apply', { simulated: { failInstall: 1 } });
    await invoke('agent-apply', request('r-apply'));
    await agent.settled();
    expect(agents.statuses.get('agent-apply')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyFailed']);
    const twin = await reported('agent-apply');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({ status: 'applyFailed', error: { code: 'installFailed' } });
    expect(twin.firmware?.currentFwVersion).toBe('1.0.0');
    expect(installer.activeSlot()).toBe('a');
  });

  test('a boot that fails after the reboot rolls back to the old slot', async () => {
    const { agent, installer } = await agents.agent('agent-boot', { simulated: { failBoot: 1 }, rebootMs: 50 });
    await invoke('agent-boot', request('r-boot'));
    await agent.settled();
    const twin = await reported('agent-boot');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({ status: 'applyFailed', error: { code: 'bootFailed' } });
    expect(twin.firmware?.currentFwVersion).toBe('1.0.0');
    expect(installer.activeSlot()).toBe('a');
  });

  describe('bad payloads', () => {
    beforeAll(() => agents.agent('agent-bad'));

    test.each([
      [{ ...{} }, 'rolloutId'],
      [{ rolloutId: 'x', fwVersion: '2.0.0', fwPackageUri: 'http://insecure/fw.bin', sha256: 'a'.repeat(64), size: 1 }, 'fwPackageUri'],
      [{ rolloutId: 'x', fwVersion: '2.0.0', fwPackageUri: 'https://h/fw.bin', sha256: 'nothex', size: 1 }, 'sha256'],
      [{ rolloutId: 'x', fwVersion: '2.0.0', fwPackageUri: 'https://h/fw.bin', sha256: 'a'.repeat(64), size: 0 }, 'size'],
      [{ rolloutId: 'x', fwPackageUri: 'https://h/fw.bin', sha256: 'a'.repeat(64), size: 1 }, 'fwVersion'],
      [
        { rolloutId: 'x', fwVersion: '2.0.0', fwPackageUri: 'https://h/fw.bin', sha256: 'a'.repeat(64), size: 1, tracker: 'x/b1' },
        'tracker',
      ],
    ])('%j → 400 naming %s', async (payload, field) => {
      const answer = await invoke('agent-bad', payload);
      expect(answer.status).toBe(400);
      expect(answer.payload).toMatchObject({ status: 'invalid', field });
      expect(String(answer.payload.message)).toContain(field);
    });
  });

  test("a request's tracker is echoed in every report of that update; an update without one clears it from the twin", async () => {
    const { agent } = await agents.agent('agent-tracker');
    const tracker = 'r-tracked:w0:b3:e1';
    const steps = ['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete'];
    const answer = await invoke('agent-tracker', request('r-tracked', { tracker }));
    expect(answer.payload).toEqual({ status: 'accepted', rolloutId: 'r-tracked' });
    await agent.settled();
    const tracked = agents.updates.get('agent-tracker')!;
    expect(tracked.map((update) => update.status)).toEqual(expect.arrayContaining(steps));
    for (const update of tracked) expect(update).toMatchObject({ rolloutId: 'r-tracked', tracker });
    // Asked again, the device answers with its state, tracker included.
    const again = await invoke('agent-tracker', request('r-tracked', { tracker }));
    expect(again.payload).toMatchObject({ status: 'current', state: { status: 'applyComplete', tracker } });

    const next = fw.image('2.1.0', 64 * 1024);
    await invoke('agent-tracker', firmwareRequest(next, 'r-untracked'));
    await agent.settled();
    const untracked = agents.updates.get('agent-tracker')!.slice(tracked.length);
    expect(untracked.map((update) => update.status)).toEqual(expect.arrayContaining(steps));
    for (const update of untracked) {
      expect(update.rolloutId).toBe('r-untracked');
      expect(update.tracker).toBeNull(); // null in a reported patch deletes the earlier update's tracker
    }
    const twinUpdate = (await reported('agent-tracker')).iothubDM?.firmwareUpdate;
    expect(twinUpdate).toMatchObject({ status: 'applyComplete', rolloutId: 'r-untracked' });
    expect(twinUpdate).not.toHaveProperty('tracker');
  });

  test('the same rollout again is 200 with the current state, nothing restarted; another one meanwhile is 409', async () => {
    const slow = await fw.slowServer(readFileSync(join(fw.dir, image().file)), { sliceBytes: 16 * 1024, pauseMs: 100 });
    const { agent } = await agents.agent('agent-busy');
    const first = await invoke('agent-busy', request('r-busy', { fwPackageUri: slow.url }));
    expect(first.payload.status).toBe('accepted');
    const again = await invoke('agent-busy', request('r-busy', { fwPackageUri: slow.url }));
    expect(again.status).toBe(200);
    expect(again.payload).toMatchObject({
      status: 'current',
      rolloutId: 'r-busy',
      state: { status: expect.stringMatching(/waiting|downloading/) },
    });
    const other = await invoke('agent-busy', request('r-other'));
    expect(other).toEqual({ status: 409, payload: { status: 'busy', rolloutId: 'r-busy', message: expect.stringContaining('r-busy') } });
    await agent.settled();
    await slow.close();
    expect(slow.ranges).toEqual([undefined]);
    expect(agents.statuses.get('agent-busy')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    const done = await invoke('agent-busy', request('r-busy', { fwPackageUri: slow.url }));
    expect(done.payload).toMatchObject({ status: 'current', state: { status: 'applyComplete' } });
  });

  test('a device already on the version reports applyComplete without downloading', async () => {
    const { agent } = await agents.agent('agent-same', { initialFwVersion: '2.0.0' });
    const answer = await invoke('agent-same', request('r-same', { fwPackageUri: 'https://nowhere.invalid/never.bin' }));
    expect(answer).toEqual({ status: 200, payload: { status: 'alreadyInstalled', rolloutId: 'r-same', fwVersion: '2.0.0' } });
    await agent.settled();
    expect(agents.statuses.get('agent-same')).toEqual(['applyComplete']);
    expect((await reported('agent-same')).iothubDM?.firmwareUpdate).toMatchObject({ status: 'applyComplete', rolloutId: 'r-same' });
  });

  test("the tutorial's service-side flow: invoke firmwareUpdate, then poll the twin until applyComplete", async () => {
    await agents.agent('agent-tutorial');
    await fx.service.invokeDeviceMethod('agent-tutorial', { methodName: 'firmwareUpdate', payload: request('r-tutorial') });
    const status = await eventually(
      async () => {
        const { responseBody } = await fx.registry.getTwin('agent-tutorial');
        const fwUpdate = (responseBody.properties.reported as { iothubDM?: { firmwareUpdate?: { status: string } } }).iothubDM
          ?.firmwareUpdate;
        expect(fwUpdate?.status).toBe('applyComplete');
        return fwUpdate!.status;
      },
      15000,
      1000,
    );
    expect(status).toBe('applyComplete');
  });
});
