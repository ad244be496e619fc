jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/** The firmwareUpdate activity hands the app's trust bundle to the device, over the real SDKs and the local hub. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { invokeFirmwareUpdate } from '../../../functions/src/activities/invokeFirmwareUpdate';
import { FIRMWARE_TRUST, FIRMWARE_TRUST_BUNDLE, IOTHUB_CONNECTION_STRING } from '../../../functions/src/settings';
import { agentTestBed } from '../../support/agentFixture';
import { firmwareRequest } from '../../support/firmwareFixture';
import { newKey, SigningKit } from '../../support/signingFixture';

const lines: string[] = [];
const context = (): InvocationContext =>
  new InvocationContext({ functionName: 'activity', logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')) });

describe('invokeFirmwareUpdate with a trust bundle configured', () => {
  const { fx, agents, image, reported } = agentTestBed({ imageBytes: 16 * 1024 });
  const kit = new SigningKit();
  const revoked = newKey();

  beforeAll(() => {
    process.env[IOTHUB_CONNECTION_STRING] = fx.hub.serviceConnectionString;
    process.env[FIRMWARE_TRUST] = JSON.stringify(kit.trust);
    process.env[FIRMWARE_TRUST_BUNDLE] = JSON.stringify(kit.bundle(3, [revoked.kid]));
  });
  afterAll(() => {
    for (const name of [IOTHUB_CONNECTION_STRING, FIRMWARE_TRUST, FIRMWARE_TRUST_BUNDLE]) delete process.env[name];
  });

  test('the device adopts the bundle the call carries, and refuses firmware signed by the key it revokes', async () => {
    const { agent, stateDir } = await agents.agent('act-bundle', { trustRoots: kit.trust, requireSigned: true });
    const manifest = kit.manifest(image(), revoked, kit.certify(revoked));
    const request = firmwareRequest(image(), 'r-bundle', { manifest, tracker: 't1' });
    const [answer] = await invokeFirmwareUpdate({ deviceIds: ['act-bundle'], request, responseTimeoutInSeconds: 10 }, context());
    expect(answer).toEqual({ deviceId: 'act-bundle', outcome: { kind: 'accepted' } });
    await agent.settled();
    expect((await reported('act-bundle')).iothubDM?.firmwareUpdate).toMatchObject({
      status: 'downloadFailed',
      error: { code: 'keyRevoked', message: `signing key ${revoked.kid} is disabled` },
    });
    expect(JSON.parse(readFileSync(join(stateDir, 'trust.json'), 'utf8'))).toMatchObject({
      version: 3,
      disabledSigningKeys: [revoked.kid],
    });
  });

  test('a bundle setting gone bad mid-rollout: the call goes out without one, and the app says why', async () => {
    process.env[FIRMWARE_TRUST_BUNDLE] = '{"payload": "x", "signatures": []}';
    const { agent } = await agents.agent('act-nobundle', { trustRoots: kit.trust, requireSigned: true });
    const request = firmwareRequest(image(), 'r-nobundle', { manifest: kit.manifest(image()) });
    const [answer] = await invokeFirmwareUpdate({ deviceIds: ['act-nobundle'], request, responseTimeoutInSeconds: 10 }, context());
    expect(answer.outcome).toEqual({ kind: 'accepted' });
    await agent.settled();
    expect((await reported('act-nobundle')).firmware?.currentFwVersion).toBe('2.0.0');
    expect(lines.some((line) => line.startsWith('firmwareUpdate.trustBundleUnavailable') && line.includes(FIRMWARE_TRUST_BUNDLE))).toBe(
      true,
    );
  });
});
