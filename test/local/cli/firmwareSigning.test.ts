import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';

// The built CLI (npm test builds first), as a user runs it.
const CLI = resolve(__dirname, '../../../dist/local/cli/main.js');
const execute = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function fleetwave(...args: string[]): Promise<Outcome> {
  return fleetwaveWith({}, ...args);
}

/** With these environment variables added (stdin is a pipe, never a terminal: nothing is asked). */
async function fleetwaveWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Outcome> {
  return execute(process.execPath, [CLI, 'firmware', ...args], { env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: Outcome) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('fleetwave firmware keygen | roots | certify | sign | verify | bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-signing-'));
  const at = (name: string) => join(dir, name);
  const kidOf = (name: string) => (JSON.parse(readFileSync(at(`${name}.pub.json`), 'utf8')) as { kid: string }).kid;
  const manifest = at('fw/firmware-2.0.0.manifest.jws');
  const image = at('fw/firmware-2.0.0.bin');

  beforeAll(async () => {
    for (const name of ['root1', 'root2', 'root3', 'root4'])
      expect((await fleetwave('keygen', '--root', '--name', name, '--out', dir)).code).toBe(0);
    expect(
      (await fleetwave('roots', at('root1.pub.json'), at('root2.pub.json'), at('root3.pub.json'), '--out', at('roots.json'))).code,
    ).toBe(0);
  });

  test('keygen writes the private key with mode 0600 and prints only the public key', async () => {
    const { code, stdout, stderr } = await fleetwave('keygen', '--out', dir, '--name', 'signing');
    expect(code).toBe(0);
    expect(statSync(at('signing.key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(at('signing.key.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');
    const printed = JSON.parse(stdout) as { kid: string; jwk: Record<string, string> };
    expect(printed).toEqual(JSON.parse(readFileSync(at('signing.pub.json'), 'utf8')));
    expect(Object.keys(printed.jwk).sort()).toEqual(['crv', 'kty', 'x']);
    expect(stdout + stderr).not.toContain('PRIVATE KEY');
    expect(await fleetwave('keygen', '--out', dir, '--name', 'signing')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('EEXIST'),
    });
  });

  test('certify -> make -> sign -> verify: valid, exit 0, the same check the devices run', async () => {
    expect(
      (
        await fleetwave(
          'certify',
          '--root-key',
          at('root1.key.pem'),
          '--key',
          at('signing.pub.json'),
          '--days',
          '30',
          '--out',
          at('signing.cert'),
        )
      ).code,
    ).toBe(0);
    expect((await fleetwave('make', '--version', '2.0.0', '--size', '5000', '--out', at('fw'))).code).toBe(0);
    const signed = await fleetwave('sign', '--key', at('signing.key.pem'), '--cert', at('signing.cert'), at('fw/firmware-2.0.0.json'));
    expect(signed).toMatchObject({ code: 0, stdout: `${manifest}\n` });
    const verified = await fleetwave('verify', '--trust-root', at('roots.json'), manifest, image);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(
      new RegExp(`^valid: firmware 2\\.0\\.0 .*5000 bytes.*signed by key ${kidOf('signing')}, certified by root ${kidOf('root1')}`),
    );

    const made = await fleetwave(
      'make',
      '--version',
      '2.1.0',
      '--size',
      '3000',
      '--out',
      at('fw'),
      '--sign-key',
      at('signing.key.pem'),
      '--cert',
      at('signing.cert'),
    );
    expect(made.code).toBe(0);
    expect(made.stderr).toContain('firmware-2.1.0.manifest.jws');
    expect(
      (await fleetwave('verify', '--trust-root', at('roots.json'), at('fw/firmware-2.1.0.manifest.jws'), at('fw/firmware-2.1.0.bin'))).code,
    ).toBe(0);
  });

  test('make --model scopes the signed image to device models; verify --model checks it for a device as the device does', async () => {
    const signing = ['--sign-key', at('signing.key.pem'), '--cert', at('signing.cert')];
    const made = await fleetwave(
      'make',
      '--version',
      '2.2.0',
      '--size',
      '100',
      '--out',
      at('fw'),
      ...signing,
      '--model',
      'acme/x100',
      '--model',
      'z9',
    );
    expect(made.code).toBe(0);
    const scoped = at('fw/firmware-2.2.0.manifest.jws');
    const verify = (...extra: string[]) =>
      fleetwave('verify', '--trust-root', at('roots.json'), scoped, at('fw/firmware-2.2.0.bin'), ...extra);
    expect(await verify('--model', 'acme/x100')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/, for acme\/x100; signed by key/),
    });
    expect(await verify('--model', 'other/z9')).toMatchObject({ code: 0 });
    expect(await verify('--model', 'acme/x200')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'fleetwave: not valid (manifestMismatch): the manifest is for acme/x100, z9, not acme/x200\n',
    });
    // Without --model nothing is known of the device: the signature and the image are checked.
    expect(await verify()).toMatchObject({ code: 0 });
  });

  test('keys encrypted with FLEETWAVE_KEY_PASSPHRASE: certify and make --sign-key open them with it; without it or with another, exit 2 naming why', async () => {
    const locked = { FLEETWAVE_KEY_PASSPHRASE: 'correct horse' };
    for (const [name, root] of [
      ['locked-root', ['--root']],
      ['locked-signing', []],
    ] as const) {
      const made = await fleetwaveWith(locked, 'keygen', ...root, '--name', name, '--out', dir);
      expect(made).toMatchObject({ code: 0, stderr: expect.stringContaining('(mode 0600, encrypted') });
      expect(readFileSync(at(`${name}.key.pem`), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    }
    const certify = ['certify', '--root-key', at('locked-root.key.pem'), '--key', at('locked-signing.pub.json')];
    const certified = await fleetwaveWith(locked, ...certify, '--out', at('locked.cert'));
    expect(certified.code).toBe(0);
    expect(await fleetwave(...certify)).toMatchObject({
      code: 2,
      stderr: `fleetwave: the root key ${at('locked-root.key.pem')} is encrypted: set FLEETWAVE_KEY_PASSPHRASE, or run the command in a terminal to be asked for its passphrase\n`,
    });
    expect(await fleetwaveWith({ FLEETWAVE_KEY_PASSPHRASE: 'battery staple' }, ...certify)).toMatchObject({
      code: 2,
      stderr: `fleetwave: cannot decrypt the root key ${at('locked-root.key.pem')}: wrong passphrase\n`,
    });
    const signing = ['--sign-key', at('locked-signing.key.pem'), '--cert', at('locked.cert')];
    expect(await fleetwave('make', '--version', '3.0.0', '--size', '100', '--out', at('fw-locked'), ...signing)).toMatchObject({ code: 2 });
    expect(existsSync(at('fw-locked'))).toBe(false);
    expect((await fleetwaveWith(locked, 'make', '--version', '3.0.0', '--size', '100', '--out', at('fw-locked'), ...signing)).code).toBe(0);
    const roots = await fleetwave('roots', at('locked-root.pub.json'), '--out', at('locked-roots.json'));
    expect(roots.code).toBe(0);
    const verified = await fleetwave('verify', '--trust-root', at('locked-roots.json'), at('fw-locked/firmware-3.0.0.manifest.jws'));
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/^valid: firmware 3\.0\.0/) });
  });

  describe('verify fails, exit 1 naming why, after any of its files is edited', () => {
    const edited = (name: string, edit: (text: Buffer) => Buffer): string => {
      const path = at(`edited-${basename(name)}`);
      writeFileSync(path, edit(readFileSync(at(name))));
      return path;
    };

    test('the signed manifest', async () => {
      const path = edited('fw/firmware-2.0.0.manifest.jws', (text) => {
        const [header, payload, signature] = text.toString().trim().split('.');
        const changed = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { size: number };
        return Buffer.from([header, Buffer.from(JSON.stringify({ ...changed, size: 5001 })).toString('base64url'), signature].join('.'));
      });
      expect(await fleetwave('verify', '--trust-root', at('roots.json'), path)).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("not valid (signatureInvalid): the manifest's signature does not verify"),
      });
    });

    test('the image: one byte changed, or bytes appended', async () => {
      const flipped = edited('fw/firmware-2.0.0.bin', (bytes) => Buffer.concat([Buffer.from([bytes[0] ^ 1]), bytes.subarray(1)]));
      expect(await fleetwave('verify', '--trust-root', at('roots.json'), manifest, flipped)).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('not valid (manifestMismatch): the manifest signs sha256'),
      });
      const extended = edited('fw/firmware-2.0.0.bin', (bytes) => Buffer.concat([bytes, Buffer.from('x')]));
      expect(await fleetwave('verify', '--trust-root', at('roots.json'), manifest, extended)).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('manifestMismatch'),
      });
    });

    test('the roots file: its certifying root replaced by another', async () => {
      const path = at('edited-roots.json');
      const roots = JSON.parse(readFileSync(at('roots.json'), 'utf8')) as { rootKeys: unknown[] };
      roots.rootKeys[0] = JSON.parse(readFileSync(at('root4.pub.json'), 'utf8'));
      writeFileSync(path, JSON.stringify(roots));
      expect(await fleetwave('verify', '--trust-root', path, manifest)).toMatchObject({
        code: 1,
        stderr: expect.stringContaining(
          `not valid (signatureInvalid): the certificate is signed by root key ${kidOf('root1')}, which is not trusted`,
        ),
      });
      // A roots file whose kid is not its key's thumbprint is bad input, not a verdict.
      roots.rootKeys[0] = { ...(roots.rootKeys[0] as object), kid: kidOf('root2') };
      writeFileSync(path, JSON.stringify(roots));
      expect(await fleetwave('verify', '--trust-root', path, manifest)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('rootKeys.0.kid: is not the thumbprint of its jwk'),
      });
    });
  });

  test('a trust bundle signed by two roots adds root4 and disables root1: verify adopts it first', async () => {
    const bundle = await fleetwave(
      'bundle',
      '--version',
      '1',
      '--root',
      at('root2.pub.json'),
      '--root',
      at('root3.pub.json'),
      '--root',
      at('root4.pub.json'),
      '--root-key',
      at('root2.key.pem'),
      '--root-key',
      at('root3.key.pem'),
      '--disable-root',
      kidOf('root1'),
      '--out',
      at('bundle-1.json'),
    );
    expect(bundle.code).toBe(0);
    expect(await fleetwave('verify', '--trust-root', at('roots.json'), '--bundle', at('bundle-1.json'), manifest)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`not valid (keyRevoked): the certificate is signed by root key ${kidOf('root1')}, which is disabled`),
    });
    await fleetwave('certify', '--root-key', at('root4.key.pem'), '--key', at('signing.pub.json'), '--out', at('signing-root4.cert'));
    await fleetwave(
      'make',
      '--version',
      '3.0.0',
      '--size',
      '100',
      '--out',
      at('fw4'),
      '--sign-key',
      at('signing.key.pem'),
      '--cert',
      at('signing-root4.cert'),
    );
    const rotated = at('fw4/firmware-3.0.0.manifest.jws');
    expect((await fleetwave('verify', '--trust-root', at('roots.json'), '--bundle', at('bundle-1.json'), rotated)).code).toBe(0);
    expect((await fleetwave('verify', '--trust-root', at('roots.json'), rotated)).code).toBe(1);
  });

  test.each([
    [['verify', '--trust-root', 'missing-roots.json', 'x.jws'], 'cannot read the trust roots'],
    [['verify', 'x.jws'], "required option '--trust-root <file>' not specified"],
    [['certify', '--root-key', 'signing.pub.json', '--key', 'signing.pub.json'], 'is not a PEM private key'],
    [['certify', '--root-key', 'root1.key.pem', '--key', 'root1.key.pem'], 'is not JSON'],
    [['sign', '--key', 'root2.key.pem', '--cert', 'signing.cert', 'fw/firmware-2.0.0.json'], 'the certificate is for signing key'],
    [['make', '--version', '9.0.0', '--size', '10', '--out', 'fw9', '--sign-key', 'signing.key.pem'], '--sign-key and --cert go together'],
    [
      ['make', '--version', '9.0.0', '--size', '10', '--out', 'fw9', '--model', 'x100'],
      '--model restricts what the signed manifest allows',
    ],
    [
      ['verify', '--trust-root', 'roots.json', '--model', 'acme/', 'x.jws'],
      "option '--model <[manufacturer/]model>' argument 'acme/' is invalid. 'acme/': the model is empty",
    ],
  ])('bad input %j is refused naming the problem, exit 2', async (args, why) => {
    const absolute = args.map((arg) => (/\.(json|pem|cert|jws)$|^fw9$/.test(arg) ? at(arg) : arg));
    expect(await fleetwave(...absolute)).toMatchObject({ code: 2, stderr: expect.stringContaining(why) });
    expect(existsSync(at('fw9'))).toBe(false);
  });
});
