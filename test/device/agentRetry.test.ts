import { FIRMWARE_UPDATE_METHOD } from '../../contracts/firmwareUpdate';
import { DownloadError } from '../../device/download/downloadImage';
import { agentTestBed } from '../support/agentFixture';
import { firmwareRequest } from '../support/firmwareFixture';

describe('a retried rollout (firmwareUpdate with a later attempt), over the local hub', () => {
  const { agents, image, invoke, reported } = agentTestBed({ imageBytes: 64 * 1024 });
  const update = (deviceId: string, payload: unknown) => invoke(deviceId, FIRMWARE_UPDATE_METHOD, payload);

  test('after a failed update of the rollout, a later attempt starts over; the same attempt or an earlier one gets the state', async () => {
    let broken = true;
    const { agent } = await agents.agent('retry-me', {
      simulatedDownloadFailure: () => (broken ? new DownloadError('network', 'Simulated network failure.') : undefined),
    });
    const first = await update('retry-me', firmwareRequest(image(), 'r-retry', { tracker: 'r-retry:w0:b0' }));
    expect(first.payload).toMatchObject({
      status: 'accepted',
    });
    await agent.settled();
    expect(agents.statuses.get('retry-me')).toEqual(['waiting', 'downloading', 'downloadFailed']);

    // The fault is gone, but the same attempt (a method call repeated) is the same update: its state, nothing started.
    broken = false;
    const repeated = await update('retry-me', firmwareRequest(image(), 'r-retry', { tracker: 'r-retry:w0:b0:e1' }));
    expect(repeated).toMatchObject({ status: 200, payload: { status: 'current', state: { status: 'downloadFailed' } } });

    const retried = await update('retry-me', firmwareRequest(image(), 'r-retry', { tracker: 'r-retry:r2:w0:b0', attempt: 2 }));
    expect(retried).toEqual({ status: 200, payload: { status: 'accepted', rolloutId: 'r-retry' } });
    await agent.settled();
    expect(agents.statuses.get('retry-me')).toEqual([
      'waiting',
      'downloading',
      'downloadFailed',
      'waiting',
      'downloading',
      'downloadComplete',
      'applying',
      'applyComplete',
    ]);
    const twin = await reported('retry-me');
    expect(twin.firmware?.currentFwVersion).toBe('2.0.0');
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({ status: 'applyComplete', tracker: 'r-retry:r2:w0:b0' });
    expect(twin.iothubDM?.firmwareUpdate?.error ?? null).toBeNull(); // the failure's error cleared (null deletes it)

    // Done: asked again for that attempt, or a later one, it answers its state.
    for (const attempt of [2, 3]) {
      const again = await update('retry-me', firmwareRequest(image(), 'r-retry', { attempt }));
      expect(again).toMatchObject({ status: 200, payload: { status: 'current', state: { status: 'applyComplete' } } });
    }
  });

  test('attempt must be a whole number of 1 or more', async () => {
    await agents.agent('retry-bad');
    for (const attempt of [0, 1.5, '2']) {
      const answer = await update('retry-bad', { ...firmwareRequest(image(), 'r-bad'), attempt });
      expect(answer).toMatchObject({ status: 400, payload: { status: 'invalid', field: 'attempt' } });
    }
  });
});
