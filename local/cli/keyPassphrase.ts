import type { KeyObject } from 'node:crypto';
import { read } from 'read';
import { LockedKeyError, readPrivateKey } from '../firmware/signing';

/** The environment variable the firmware commands take a key passphrase from (scripts, CI); a terminal is asked otherwise. */
export const PASSPHRASE_ENV = 'FLEETWAVE_KEY_PASSPHRASE';

/** Where passphrases come from: the environment, and a terminal to ask on (stdin and stderr, so stdout stays the output). */
export interface PassphraseSource {
  env: NodeJS.ProcessEnv;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

const fromProcess = (): PassphraseSource => ({ env: process.env, input: process.stdin, output: process.stderr });

/** Asks on the terminal without echoing what is typed (the line break typed is not echoed either: it is written after). */
async function ask(prompt: string, source: PassphraseSource): Promise<string> {
  const answer = await read({ prompt, silent: true, replace: '', input: source.input, output: source.output });
  source.output.write('\n');
  return answer;
}

/**
 * The passphrase to encrypt a new private key with: the environment's, else asked twice on a terminal.
 * Undefined (the key is written unencrypted) when none is set and nobody is at a terminal, or when the
 * answer is empty.
 */
export async function newKeyPassphrase(source: PassphraseSource = fromProcess()): Promise<string | undefined> {
  const fromEnv = source.env[PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  if (!source.input.isTTY) return undefined;
  const passphrase = await ask('Passphrase for the new private key (empty: not encrypted): ', source);
  if (passphrase === '') return undefined;
  if ((await ask('The same passphrase again: ', source)) !== passphrase) throw new Error('the two passphrases differ: no key written');
  return passphrase;
}

/** A private key file, opened with the environment's passphrase or one asked on a terminal when it is encrypted. */
export async function unlockPrivateKey(path: string, what: string, source: PassphraseSource = fromProcess()): Promise<KeyObject> {
  try {
    return readPrivateKey(path, what, source.env[PASSPHRASE_ENV] || undefined);
  } catch (error) {
    if (!(error instanceof LockedKeyError)) throw error;
  }
  if (!source.input.isTTY)
    throw new Error(`${what} ${path} is encrypted: set ${PASSPHRASE_ENV}, or run the command in a terminal to be asked for its passphrase`);
  return readPrivateKey(path, what, await ask(`Passphrase for ${what} ${path}: `, source));
}
