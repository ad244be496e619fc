import { validateFirmwareApplyRequest, validateFirmwareUpdateRequest } from '../../device/agent/requestValidation';

const good = {
  rolloutId: 'r-1',
  fwVersion: '2.0.0',
  fwPackageUri: 'https://firmware.example/fw-2.0.0.bin',
  sha256: 'A'.repeat(64),
  size: 1024,
};

describe('firmwareUpdate payload validation', () => {
  test('a good payload passes, with the hash in lower case', () => {
    expect(validateFirmwareUpdateRequest(good, { allowInsecureDownloads: false })).toEqual({
      ok: true,
      request: { ...good, sha256: 'a'.repeat(64) },
    });
  });

  test('a tracker is optional and kept as sent; without one the request has none', () => {
    const tracker = 'fw-2-1:w0:b17:e2';
    const tracked = validateFirmwareUpdateRequest({ ...good, tracker }, { allowInsecureDownloads: false });
    expect(tracked).toEqual({ ok: true, request: { ...good, sha256: 'a'.repeat(64), tracker } });
    const without = validateFirmwareUpdateRequest(good, { allowInsecureDownloads: false });
    expect(without.ok && without.request).not.toHaveProperty('tracker');
  });

  test.each([
    [null, 'payload', /JSON object/],
    ['text', 'payload', /JSON object/],
    [[1], 'payload', /JSON object/],
    [{ ...good, rolloutId: undefined }, 'rolloutId', /required/],
    [{ ...good, rolloutId: '' }, 'rolloutId', /non-empty/],
    [{ ...good, fwVersion: 3 }, 'fwVersion', /string/],
    [{ ...good, fwPackageUri: 'http://firmware.example/x.bin' }, 'fwPackageUri', /https:\/\//],
    [{ ...good, fwPackageUri: 'not a url' }, 'fwPackageUri', /https:\/\//],
    [{ ...good, fwPackageUri: 'ftp://x/y' }, 'fwPackageUri', /https/],
    [{ ...good, sha256: 'abc' }, 'sha256', /64 hexadecimal/],
    [{ ...good, sha256: 'g'.repeat(64) }, 'sha256', /64 hexadecimal/],
    [{ ...good, size: 0 }, 'size', /greater than 0/],
    [{ ...good, size: -5 }, 'size', /greater than 0/],
    [{ ...good, size: 1.5 }, 'size', /whole number/],
    [{ ...good, size: '10' }, 'size', /number/],
    [{ ...good, tracker: '' }, 'tracker', /1-200 letters/],
    [{ ...good, tracker: 'fw-1:w0/b3' }, 'tracker', /1-200 letters/],
    [{ ...good, tracker: ':w0:b3' }, 'tracker', /starting with a letter or digit/],
    [{ ...good, tracker: 'a'.repeat(201) }, 'tracker', /1-200 letters/],
    [{ ...good, tracker: 17 }, 'tracker', /string/],
    [{ ...good, tracker: null }, 'tracker', /string/],
    [{ ...good, install: 'later' }, 'install', /^must be "immediate" or "staged"$/],
    [{ ...good, install: null }, 'install', /"immediate" or "staged"/],
    [{ ...good, install: true }, 'install', /"immediate" or "staged"/],
  ])('%j → 400 naming %s', (payload, field, message) => {
    const result = validateFirmwareUpdateRequest(payload, { allowInsecureDownloads: false });
    expect(result).toMatchObject({ ok: false, field });
    expect(result.ok ? '' : result.message).toMatch(message);
  });

  test('install is optional (absent means immediate) and kept as sent; unknown fields are dropped', () => {
    for (const install of ['immediate', 'staged'] as const) {
      expect(validateFirmwareUpdateRequest({ ...good, install }, { allowInsecureDownloads: false })).toEqual({
        ok: true,
        request: { ...good, sha256: 'a'.repeat(64), install },
      });
    }
    const future = validateFirmwareUpdateRequest({ ...good, priority: 'high' }, { allowInsecureDownloads: false });
    expect(future).toEqual({ ok: true, request: { ...good, sha256: 'a'.repeat(64) } });
  });

  test('a firmwareApply payload: rolloutId and fwVersion, an optional tracker, each checked as in firmwareUpdate', () => {
    expect(validateFirmwareApplyRequest({ rolloutId: 'r-1', fwVersion: '2.0.0', tracker: 'r-1:w0:b0', extra: 1 })).toEqual({
      ok: true,
      request: { rolloutId: 'r-1', fwVersion: '2.0.0', tracker: 'r-1:w0:b0' },
    });
    expect(validateFirmwareApplyRequest(null)).toMatchObject({
      ok: false,
      field: 'payload',
      message: expect.stringContaining('{rolloutId, fwVersion}'),
    });
    expect(validateFirmwareApplyRequest({ fwVersion: '2.0.0' })).toEqual({ ok: false, field: 'rolloutId', message: 'is required' });
    expect(validateFirmwareApplyRequest({ rolloutId: 'r-1', fwVersion: '' })).toMatchObject({ ok: false, field: 'fwVersion' });
    expect(validateFirmwareApplyRequest({ rolloutId: 'r-1', fwVersion: '2', tracker: 'x/y' })).toMatchObject({
      ok: false,
      field: 'tracker',
    });
  });

  test('http is accepted only when insecure downloads were allowed explicitly', () => {
    const payload = { ...good, fwPackageUri: 'http://127.0.0.1:8080/fw.bin' };
    expect(validateFirmwareUpdateRequest(payload, { allowInsecureDownloads: true }).ok).toBe(true);
    expect(validateFirmwareUpdateRequest(payload, { allowInsecureDownloads: false }).ok).toBe(false);
  });
});
