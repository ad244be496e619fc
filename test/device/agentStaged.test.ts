import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE_APPLY_METHOD, FIRMWARE_UPDATE_METHOD, type FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import { agentTestBed } from '../support/agentFixture';
import { firmwareRequest } from '../support/firmwareFixture';

describe('stage then apply: firmwareUpdate {install: staged}, then firmwareApply, over the local hub', () => {
  const { fw, agents, image: imageOf, invoke, reported } = agentTestBed({ imageBytes: 128 * 1024 });

  const staged = (rolloutId: string, overrides: Partial<FirmwareUpdateRequest> = {}) =>
    firmwareRequest(imageOf(), rolloutId, { install: 'staged', ...overrides });

  const update = (deviceId: string, payload: unknown) => invoke(deviceId, FIRMWARE_UPDATE_METHOD, payload);
  const apply = (deviceId: string, payload: unknown) => invoke(deviceId, FIRMWARE_APPLY_METHOD, payload);

  test('a staged update stops at downloadComplete with the imageOf() kept; firmwareApply installs it; a second apply changes nothing', async () => {
    const { agent, installer, stateDir } = await agents.agent('staged-happy');
    const answer = await update('staged-happy', staged('r-staged', { tracker: 'r-staged:stage' }));
    expect(answer).toEqual({ status: 200, payload: { status: 'accepted', rolloutId: 'r-staged', install: 'staged' } });
    await agent.settled();
    expect(agents.statuses.get('staged-happy')).toEqual(['waiting', 'downloading', 'downloadComplete']);
    expect((await reported('staged-happy')).iothubDM?.firmwareUpdate).toMatchObject({
      status: 'downloadComplete',
      rolloutId: 'r-staged',
      tracker: 'r-staged:stage',
      downloadCompleteTime: expect.any(String),
    });
    // Asked again (its answer lost, or a retry of the rollout): current, echoing the staged install.
    expect(await update('staged-happy', staged('r-staged', { tracker: 'r-staged:stage', attempt: 2 }))).toMatchObject({
      status: 200,
      payload: { status: 'current', rolloutId: 'r-staged', install: 'staged', state: { status: 'downloadComplete' } },
    });
    const stagedTwin = await reported('staged-happy');
    expect(stagedTwin.iothubDM?.firmwareUpdate).not.toHaveProperty('startedApplyingImage'); // null: deleted
    expect(stagedTwin.firmware?.currentFwVersion).toBe('1.0.0');
    expect(installer.activeSlot()).toBe('a');
    expect(readFileSync(join(stateDir, 'downloads', `${imageOf().sha256}.img`)).length).toBe(imageOf().size);

    const applied = await apply('staged-happy', { rolloutId: 'r-staged', fwVersion: '2.0.0', tracker: 'r-staged:apply' });
    expect(applied).toEqual({ status: 200, payload: { status: 'applying', rolloutId: 'r-staged' } });
    await agent.settled();
    expect(agents.statuses.get('staged-happy')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    const twin = await reported('staged-happy');
    expect(twin.firmware?.currentFwVersion).toBe('2.0.0');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({ status: 'applyComplete', rolloutId: 'r-staged', tracker: 'r-staged:apply' });
    expect(installer.activeSlot()).toBe('b');
    // The apply's reports name the apply's tracker: its follower may be another instance than the stage's.
    const reports = agents.updates.get('staged-happy')!;
    for (const report of reports.filter((r) => r.status === 'applying' || r.status === 'applyComplete')) {
      expect(report.tracker).toBe('r-staged:apply');
    }

    const reportsBefore = reports.length;
    const again = await apply('staged-happy', { rolloutId: 'r-staged', fwVersion: '2.0.0', tracker: 'r-staged:apply2' });
    expect(again).toMatchObject({
      status: 200,
      payload: { status: 'current', rolloutId: 'r-staged', state: { status: 'applyComplete', tracker: 'r-staged:apply' } },
    });
    await agent.settled();
    expect(agents.updates.get('staged-happy')!.length).toBe(reportsBefore);
  });

  test('firmwareApply while applying answers current and starts nothing twice', async () => {
    const { agent } = await agents.agent('staged-twice', { simulated: { installMs: 300 } });
    await update('staged-twice', staged('r-twice'));
    await agent.settled();
    const first = await apply('staged-twice', { rolloutId: 'r-twice', fwVersion: '2.0.0' });
    const second = await apply('staged-twice', { rolloutId: 'r-twice', fwVersion: '2.0.0' });
    expect(first.payload).toEqual({ status: 'applying', rolloutId: 'r-twice' });
    expect(second).toMatchObject({ status: 200, payload: { status: 'current', state: { status: 'applying' } } });
    await agent.settled();
    expect(agents.statuses.get('staged-twice')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
  });

  test('firmwareApply with nothing staged for that rollout and version is 409 notStaged, naming what the device has', async () => {
    const { agent } = await agents.agent('staged-none');
    expect(await apply('staged-none', { rolloutId: 'r-none', fwVersion: '2.0.0' })).toEqual({
      status: 409,
      payload: { status: 'notStaged', rolloutId: null, message: expect.stringContaining('no update') },
    });
    await update('staged-none', staged('r-mine'));
    await agent.settled();
    const other = await apply('staged-none', { rolloutId: 'r-other', fwVersion: '2.0.0' });
    expect(other).toMatchObject({ status: 409, payload: { status: 'notStaged', rolloutId: 'r-mine' } });
    expect(String(other.payload.message)).toContain('r-mine 2.0.0');
    const otherVersion = await apply('staged-none', { rolloutId: 'r-mine', fwVersion: '9.9.9' });
    expect(otherVersion).toMatchObject({ status: 409, payload: { status: 'notStaged', rolloutId: 'r-mine' } });
    expect((await reported('staged-none')).iothubDM?.firmwareUpdate).toMatchObject({ status: 'downloadComplete', rolloutId: 'r-mine' });

    // An immediate update was never staged: it applies by itself, and an apply while it downloads is 409.
    const { agent: immediate } = await agents.agent('staged-immediate');
    const slow = await fw.slowServer(readFileSync(join(fw.dir, imageOf().file)), { sliceBytes: 16 * 1024, pauseMs: 50 });
    await update('staged-immediate', firmwareRequest(imageOf(), 'r-now', { fwPackageUri: slow.url }));
    const early = await apply('staged-immediate', { rolloutId: 'r-now', fwVersion: '2.0.0' });
    expect(early).toMatchObject({ status: 409, payload: { status: 'notStaged', rolloutId: 'r-now' } });
    await immediate.settled();
    await slow.close();
    expect(agents.statuses.get('staged-immediate')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
  });

  test('bad firmwareApply payloads and an unknown install mode are 400 naming the field', async () => {
    await agents.agent('staged-bad');
    expect(await update('staged-bad', staged('r-bad', { install: 'later' as never }))).toEqual({
      status: 400,
      payload: { status: 'invalid', field: 'install', message: 'install must be "immediate" or "staged"' },
    });
    for (const [payload, field] of [
      ['text', 'payload'],
      [{ fwVersion: '2.0.0' }, 'rolloutId'],
      [{ rolloutId: 'r-bad' }, 'fwVersion'],
      [{ rolloutId: 'r-bad', fwVersion: '2.0.0', tracker: 'a/b' }, 'tracker'],
    ] as const) {
      const answer = await apply('staged-bad', payload);
      expect(answer).toMatchObject({ status: 400, payload: { status: 'invalid', field } });
      expect(String(answer.payload.message)).toContain(field);
    }
    expect(agents.statuses.get('staged-bad')).toBeUndefined();
  });

  test('an explicit immediate install runs the whole update at once, as a request without the field does', async () => {
    const { agent } = await agents.agent('staged-explicit');
    const answer = await update('staged-explicit', firmwareRequest(imageOf(), 'r-explicit', { install: 'immediate' }));
    expect(answer).toEqual({ status: 200, payload: { status: 'accepted', rolloutId: 'r-explicit' } });
    await agent.settled();
    expect(agents.statuses.get('staged-explicit')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
  });

  test('the staged update survives a restart of the agent, and firmwareApply afterwards still installs it', async () => {
    const first = await agents.agent('staged-restart');
    await update('staged-restart', staged('r-restart'));
    await first.agent.settled();
    await first.agent.stop();

    const second = await agents.agent('staged-restart', { stateDir: first.stateDir });
    await second.agent.settled();
    expect((await reported('staged-restart')).iothubDM?.firmwareUpdate).toMatchObject({ status: 'downloadComplete' });
    expect(await apply('staged-restart', { rolloutId: 'r-restart', fwVersion: '2.0.0' })).toMatchObject({
      status: 200,
      payload: { status: 'applying' },
    });
    await second.agent.settled();
    expect(agents.statuses.get('staged-restart')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    expect((await reported('staged-restart')).firmware?.currentFwVersion).toBe('2.0.0');
  });

  test('a staged imageOf() that vanished before the apply is applyFailed/imageMissing, and the old version stays', async () => {
    const { agent, installer, stateDir } = await agents.agent('staged-vanished');
    await update('staged-vanished', staged('r-vanished'));
    await agent.settled();
    unlinkSync(join(stateDir, 'downloads', `${imageOf().sha256}.img`));
    expect(await apply('staged-vanished', { rolloutId: 'r-vanished', fwVersion: '2.0.0' })).toMatchObject({ status: 200 });
    await agent.settled();
    const twin = await reported('staged-vanished');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({
      status: 'applyFailed',
      error: { code: 'imageMissing', message: expect.stringContaining(`${imageOf().sha256}.img`) },
    });
    expect(twin.firmware?.currentFwVersion).toBe('1.0.0');
    expect(installer.activeSlot()).toBe('a');
  });

  test('a new rollout replaces a staged update (its imageOf() discarded); while a staged download runs it is 409 busy', async () => {
    const { agent, stateDir } = await agents.agent('staged-replace');
    const slow = await fw.slowServer(readFileSync(join(fw.dir, imageOf().file)), { sliceBytes: 16 * 1024, pauseMs: 50 });
    await update('staged-replace', staged('r-old', { fwPackageUri: slow.url }));
    const busy = await update('staged-replace', staged('r-new'));
    expect(busy).toMatchObject({ status: 409, payload: { status: 'busy', rolloutId: 'r-old' } });
    await agent.settled();
    await slow.close();
    const stagedImage = join(stateDir, 'downloads', `${imageOf().sha256}.img`);
    expect(existsSync(stagedImage)).toBe(true);

    const next = fw.image('3.0.0', 64 * 1024);
    const replaced = await update('staged-replace', firmwareRequest(next, 'r-new', { install: 'staged' }));
    expect(replaced.payload).toEqual({ status: 'accepted', rolloutId: 'r-new', install: 'staged' });
    expect(existsSync(stagedImage)).toBe(false);
    await agent.settled();
    expect(await apply('staged-replace', { rolloutId: 'r-old', fwVersion: '2.0.0' })).toMatchObject({ status: 409 });
    expect(await apply('staged-replace', { rolloutId: 'r-new', fwVersion: '3.0.0' })).toMatchObject({ status: 200 });
    await agent.settled();
    expect((await reported('staged-replace')).firmware?.currentFwVersion).toBe('3.0.0');
    expect(agents.statuses.get('staged-replace')).toEqual([
      'waiting',
      'downloading',
      'downloadComplete',
      'waiting',
      'downloading',
      'downloadComplete',
      'applying',
      'applyComplete',
    ]);
  });
});
