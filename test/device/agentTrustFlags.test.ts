import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrustRoots } from '../../device/agent/trustRoots';
import { AGENT_USAGE, parseAgentArgs, UsageError } from '../../device/cli/agentCli';
import { generateKey, makeTrustRoots } from '../../local/firmware/signing';

const BASE = ['--connection-string', 'HostName=h;DeviceId=d;SharedAccessKey=k', '--state-dir', '/tmp/x'];

describe('the agent command line: --trust-root, --require-signed', () => {
  test('--trust-root repeats; --require-signed is off unless given', () => {
    expect(parseAgentArgs([...BASE, '--trust-root', 'a.json', '--trust-root', '/etc/b.json'])).toMatchObject({
      trustRoots: [join(process.cwd(), 'a.json'), '/etc/b.json'],
      requireSigned: false,
    });
    expect(parseAgentArgs([...BASE, '--trust-root', 'a.json', '--require-signed'])).toMatchObject({ requireSigned: true });
    expect(parseAgentArgs(BASE)).toMatchObject({ trustRoots: [], requireSigned: false });
  });

  test('--require-signed without --trust-root is a usage error saying what is missing', () => {
    expect(() => parseAgentArgs([...BASE, '--require-signed'])).toThrow(
      new UsageError('--require-signed needs --trust-root <file>: the root keys to verify signatures with.'),
    );
  });

  test('--model [manufacturer/]model is what the device is; a malformed one is a usage error naming it', () => {
    expect(parseAgentArgs([...BASE, '--model', 'acme/x100'])).toMatchObject({ deviceModel: { manufacturer: 'acme', model: 'x100' } });
    expect(parseAgentArgs([...BASE, '--model', 'x100'])?.deviceModel).toEqual({ model: 'x100' });
    expect(parseAgentArgs(BASE)).not.toHaveProperty('deviceModel');
    expect(() => parseAgentArgs([...BASE, '--model', '/x100'])).toThrow(
      new UsageError("--model '/x100': the manufacturer before the slash is empty (write [manufacturer/]model)."),
    );
    expect(AGENT_USAGE).toMatch(/--model <\[maker\/\]model> .*\n.*firmware\.manufacturer/);
  });

  test('--help documents both, and the default', () => {
    expect(AGENT_USAGE).toMatch(/--trust-root <file> .*repeatable/);
    expect(AGENT_USAGE).toMatch(/--require-signed .*\n.*default off/);
  });
});

describe('readTrustRoots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-roots-'));
  const [a, b, c] = ['a', 'b', 'c'].map((name) => generateKey({ outDir: dir, root: true, name }));
  const rootsFile = join(dir, 'roots.json');
  writeFileSync(
    rootsFile,
    JSON.stringify(makeTrustRoots({ roots: [a, b].map(({ kid, jwk }) => ({ kid, jwk })), threshold: 2, now: new Date() })),
  );

  test('a roots file as `fleetwave firmware roots` writes it is the trust as it stands', () => {
    expect(readTrustRoots([rootsFile])).toMatchObject({ version: 0, threshold: 2, rootKeys: [{ kid: a.kid }, { kid: b.kid }] });
  });

  test('root public keys as `fleetwave firmware keygen --root` writes them: every root, a majority to sign a bundle', () => {
    expect(readTrustRoots([a.publicKeyPath, b.publicKeyPath, c.publicKeyPath])).toMatchObject({
      threshold: 2,
      rootKeys: [{ kid: a.kid }, { kid: b.kid }, { kid: c.kid }],
    });
  });

  test("a roots file and another key merge, keeping the file's threshold and listing each root once", () => {
    const trust = readTrustRoots([rootsFile, c.publicKeyPath, a.publicKeyPath]);
    expect(trust.threshold).toBe(2);
    expect(trust.rootKeys.map((root) => root.kid)).toEqual([a.kid, b.kid, c.kid]);
  });

  test('a file that is neither is refused naming it', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ kid: 'x', jwk: { kty: 'RSA' } }));
    expect(() => readTrustRoots([bad])).toThrow(`--trust-root ${bad} is neither a roots file`);
    expect(() => readTrustRoots([join(dir, 'missing.json')])).toThrow(`cannot read --trust-root ${join(dir, 'missing.json')}: ENOENT`);
  });
});
