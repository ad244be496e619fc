import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { newKeyPassphrase, PASSPHRASE_ENV, unlockPrivateKey, type PassphraseSource } from '../../../local/cli/keyPassphrase';
import { jwkThumbprint, type Ed25519Jwk } from '../../../contracts/signing/ed25519Jwk';
import { generateKey, LockedKeyError, readPrivateKey } from '../../../local/firmware/signing';

/** A terminal that types `lines` when asked, one per prompt, and records what was written to it. */
function terminal(lines: string[], env: NodeJS.ProcessEnv = {}): PassphraseSource & { written: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = Object.assign(new PassThrough(), { isTTY: true });
  let written = '';
  output.on('data', (chunk: Buffer) => {
    // What a person sees: the text without the cursor movements around the prompt.
    const text = stripVTControlCharacters(chunk.toString());
    written += text;
    // Answer each prompt once it is shown, a moment later as a person would (not within the prompt's own write).
    if (text.endsWith(': ') && lines.length > 0) {
      const line = lines.shift();
      setTimeout(() => input.write(`${line}\n`), 5);
    }
  });
  return { env, input, output, written: () => written };
}

/** The key id of a private key's public half. */
const kidOf = (key: KeyObject) => jwkThumbprint(createPublicKey(key).export({ format: 'jwk' }) as Ed25519Jwk);

/** No terminal: stdin is a pipe. */
const piped = (env: NodeJS.ProcessEnv = {}): PassphraseSource => ({ env, input: new PassThrough(), output: new PassThrough() });

describe('encrypted private key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-keyfiles-'));

  test('a key written with a passphrase is encrypted PKCS#8 (mode 0600) and opens only with it', () => {
    const key = generateKey({ outDir: dir, root: true, name: 'locked', passphrase: 'correct horse' });
    const pem = readFileSync(key.privateKeyPath, 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(statSync(key.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(() => readPrivateKey(key.privateKeyPath, 'the root key')).toThrow(LockedKeyError);
    expect(() => readPrivateKey(key.privateKeyPath, 'the root key', 'battery staple')).toThrow(
      `cannot decrypt the root key ${key.privateKeyPath}: wrong passphrase`,
    );
    expect(kidOf(readPrivateKey(key.privateKeyPath, 'the root key', 'correct horse'))).toBe(key.kid);
  });

  test('a key written without one is plain PKCS#8, and a passphrase given for it is not needed', () => {
    const key = generateKey({ outDir: dir, root: false, name: 'plain' });
    expect(readFileSync(key.privateKeyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(kidOf(readPrivateKey(key.privateKeyPath, 'the key', 'unused'))).toBe(key.kid);
  });
});

describe('key passphrases on the command line: the environment, else the terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-passphrase-'));
  const locked = generateKey({ outDir: dir, root: true, name: 'root', passphrase: 'hunter2' });

  test('a new key: the environment passphrase is taken as it is, nothing asked', async () => {
    const source = terminal(['never typed'], { [PASSPHRASE_ENV]: 'from-env' });
    expect(await newKeyPassphrase(source)).toBe('from-env');
    expect(source.written()).toBe('');
  });

  test('a new key on a terminal: asked twice, without echo; the same answer twice is the passphrase', async () => {
    const source = terminal(['s3cret', 's3cret']);
    expect(await newKeyPassphrase(source)).toBe('s3cret');
    expect(source.written()).toBe('Passphrase for the new private key (empty: not encrypted): \nThe same passphrase again: \n');
  });

  test('a new key on a terminal: two different answers write nothing; an empty one means not encrypted', async () => {
    await expect(newKeyPassphrase(terminal(['s3cret', 's3cre']))).rejects.toThrow('the two passphrases differ: no key written');
    expect(await newKeyPassphrase(terminal(['']))).toBeUndefined();
  });

  test('a new key with no terminal and no environment passphrase: not encrypted, nothing asked', async () => {
    expect(await newKeyPassphrase(piped())).toBeUndefined();
  });

  test('an encrypted key opens with the environment passphrase, or one asked on the terminal', async () => {
    const fromEnv = await unlockPrivateKey(locked.privateKeyPath, 'the root key', piped({ [PASSPHRASE_ENV]: 'hunter2' }));
    expect(kidOf(fromEnv)).toBe(locked.kid);
    const source = terminal(['hunter2']);
    expect(kidOf(await unlockPrivateKey(locked.privateKeyPath, 'the root key', source))).toBe(locked.kid);
    expect(source.written()).toBe(`Passphrase for the root key ${locked.privateKeyPath}: \n`);
  });

  test('an encrypted key with a wrong passphrase, or with none and no terminal, is an error saying what to do', async () => {
    await expect(unlockPrivateKey(locked.privateKeyPath, 'the root key', terminal(['hunter3']))).rejects.toThrow(
      `cannot decrypt the root key ${locked.privateKeyPath}: wrong passphrase`,
    );
    await expect(unlockPrivateKey(locked.privateKeyPath, 'the root key', piped({ [PASSPHRASE_ENV]: 'hunter3' }))).rejects.toThrow(
      'wrong passphrase',
    );
    await expect(unlockPrivateKey(locked.privateKeyPath, 'the root key', piped())).rejects.toThrow(
      `the root key ${locked.privateKeyPath} is encrypted: set ${PASSPHRASE_ENV}, or run the command in a terminal to be asked for its passphrase`,
    );
  });

  test('a plain key opens without asking', async () => {
    const plain = generateKey({ outDir: dir, root: false, name: 'plain' });
    const source = terminal(['never typed']);
    expect(kidOf(await unlockPrivateKey(plain.privateKeyPath, 'the signing key', source))).toBe(plain.kid);
    expect(source.written()).toBe('');
  });
});
