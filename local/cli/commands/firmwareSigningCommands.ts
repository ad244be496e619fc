import type { Command } from 'commander';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { modelName, verifySignedManifest, type DeviceModel } from '../../../contracts/signing/signedManifest';
import type { SignatureFailure } from '../../../contracts/signing/signatureResult';
import { acceptTrustBundle, parseTrust, type Trust } from '../../../contracts/signing/trust';
import { hashFile } from '../../../device/download/downloadImage';
import type { FirmwareManifest } from '../../firmware/makeFirmwareImage';
import {
  certifySigningKey,
  generateKey,
  issueTrustBundle,
  makeTrustRoots,
  readJson,
  readPublicKey,
  readText,
  signManifest,
} from '../../firmware/signing';
import { newKeyPassphrase, PASSPHRASE_ENV, unlockPrivateKey } from '../keyPassphrase';
import { collect, collectModels, parseModel, parsePositiveInt } from '../options';

/**
 * Runs a command action; an error is bad input (a missing file, a key of the wrong kind …): it is printed
 * naming the problem and the command exits 2, which `verify` keeps apart from "not valid" (exit 1).
 */
export function inputErrors<A extends unknown[]>(action: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      console.error(`fleetwave: ${(error as Error).message}`);
      process.exitCode = 2;
    }
  };
}

export interface SignFlags {
  signKey?: string;
  cert?: string;
}

/** The signing key (opened) and its certificate. */
export interface SigningMaterial {
  key: KeyObject;
  certificate: string;
}

/** The signing key and its certificate, read (and the key's passphrase asked) before anything is written. */
export async function signingMaterial(flags: SignFlags): Promise<SigningMaterial> {
  if (flags.signKey === undefined || flags.cert === undefined)
    throw new Error('--sign-key and --cert go together: the key and its certificate');
  const certificate = readText(flags.cert, 'the certificate');
  return { key: await unlockPrivateKey(flags.signKey, 'the signing key'), certificate };
}

/** Signs `image` and writes firmware-<version>.manifest.jws into `dir`; returns its path. */
export function writeSignedManifest(
  image: Partial<Record<keyof FirmwareManifest, unknown>>,
  dir: string,
  signing: SigningMaterial,
  compatibility?: DeviceModel[],
): string {
  const jws = signManifest({
    image,
    signingKey: signing.key,
    certificate: signing.certificate,
    now: new Date(),
    ...(compatibility ? { compatibility } : {}),
  });
  const path = join(dir, `firmware-${String(image.version)}.manifest.jws`);
  writeFileAtomic.sync(path, `${jws}\n`);
  return path;
}

function output(text: string, out: string | undefined): void {
  if (out === undefined) {
    console.log(text);
    return;
  }
  writeFileAtomic.sync(resolve(out), `${text}\n`);
  console.error(`Wrote ${resolve(out)}`);
}

function trustFrom(path: string): Trust {
  const trust = parseTrust(readJson(resolve(path), 'the trust roots'));
  if (!trust.ok) throw new Error(`${path}: ${trust.message}`);
  return trust.trust;
}

function refuse(failure: SignatureFailure): void {
  console.error(`fleetwave: not valid (${failure.code}): ${failure.message}`);
  process.exitCode = 1;
}

interface VerifyFlags {
  trustRoot: string;
  bundle?: string[];
  model?: DeviceModel;
}

/** `firmware verify`: the device's check of a signed manifest, and of the image and the device's model when given. */
async function verify(signed: string, image: string | undefined, flags: VerifyFlags): Promise<void> {
  let trust = trustFrom(flags.trustRoot);
  for (const path of flags.bundle ?? []) {
    const accepted = acceptTrustBundle(trust, readText(resolve(path), 'the trust bundle'));
    if (!accepted.ok) return refuse(accepted);
    if (!accepted.adopted) console.error(`Ignored ${path}: version not above ${trust.version}`);
    trust = accepted.trust;
  }
  const manifest = readText(resolve(signed), 'the signed manifest').trim();
  let result = verifySignedManifest({ manifest, trust, now: new Date() });
  // The image and the device's model are checked as a device checks them, each against the manifest.
  if (result.ok && (image !== undefined || flags.model !== undefined)) {
    const { version, sha256, size } = result.manifest;
    const facts = image === undefined ? { sha256, size } : { sha256: await hashFile(resolve(image)), size: statSync(resolve(image)).size };
    result = verifySignedManifest({ manifest, trust, now: new Date(), expect: { version, ...facts, ...flags.model } });
  }
  if (!result.ok) return refuse(result);
  const { version, sha256, size } = result.manifest;
  const until = new Date(result.certificate.exp * 1000).toISOString();
  console.log(
    `valid: firmware ${version} (sha256 ${sha256}, ${size} bytes)${image === undefined ? '' : `, matched by ${image}`}` +
      `${flags.model === undefined ? '' : `, for ${modelName(flags.model)}`}; ` +
      `signed by key ${result.signingKid}, certified by root ${result.rootKid} until ${until}`,
  );
}

/** `firmware keygen|roots|certify|sign|verify|bundle`: the keys, certificates, manifests and bundles of signed firmware. */
export function registerSigningCommands(firmware: Command): void {
  firmware
    .command('keygen')
    .description(
      `Make an Ed25519 key pair: <name>.key.pem (mode 0600, never printed; encrypted with the passphrase in ${PASSPHRASE_ENV}, ` +
        'or one asked on the terminal) and <name>.pub.json, which is printed.',
    )
    .requiredOption('--out <dir>', 'where to write the key files')
    .option('--root', 'a root key (keep it offline) rather than a signing key')
    .option('--name <name>', 'file name stem (default root-/signing-<kid prefix>)')
    .action(
      inputErrors(async (flags: { out: string; root?: boolean; name?: string }) => {
        const passphrase = await newKeyPassphrase();
        mkdirSync(resolve(flags.out), { recursive: true });
        const key = generateKey({
          outDir: resolve(flags.out),
          root: flags.root === true,
          ...(flags.name ? { name: flags.name } : {}),
          ...(passphrase ? { passphrase } : {}),
        });
        const protection = passphrase ? 'encrypted' : `not encrypted: set ${PASSPHRASE_ENV} or run keygen in a terminal to encrypt`;
        console.error(
          `Private key: ${key.privateKeyPath} (mode 0600, ${protection}${flags.root ? '; keep it offline' : ''})\nPublic key: ${key.publicKeyPath}`,
        );
        console.log(JSON.stringify({ kid: key.kid, jwk: key.jwk }, null, 2));
      }),
    );

  firmware
    .command('roots <publicKeys...>')
    .description('Make the roots file devices pin (trust version 0) from root public keys.')
    .option('--threshold <n>', 'root signatures a trust bundle needs (default: a majority)', parsePositiveInt)
    .option('--out <file>', 'write it there rather than print it')
    .action(
      inputErrors((publicKeys: string[], flags: { threshold?: number; out?: string }) => {
        const roots = publicKeys.map((path) => readPublicKey(resolve(path), 'the root key'));
        const threshold = flags.threshold ?? Math.floor(roots.length / 2) + 1;
        output(JSON.stringify(makeTrustRoots({ roots, threshold, now: new Date() }), null, 2), flags.out);
      }),
    );

  firmware
    .command('certify')
    .description('Certify a signing key with a root key: prints the certificate (a compact JWS).')
    .requiredOption('--root-key <file>', 'the root private key (PEM)')
    .requiredOption('--key <file>', 'the signing public key ({kid, jwk} as keygen writes it)')
    .option('--days <n>', 'how long the certificate is valid', parsePositiveInt, 365)
    .option('--out <file>', 'write it there rather than print it')
    .action(
      inputErrors(async (flags: { rootKey: string; key: string; days: number; out?: string }) => {
        const rootKey = await unlockPrivateKey(resolve(flags.rootKey), 'the root key');
        const signingKey = readPublicKey(resolve(flags.key), 'the signing key');
        output(certifySigningKey({ rootKey, signingKey: signingKey.jwk, now: new Date(), days: flags.days }), flags.out);
      }),
    );

  firmware
    .command('sign <manifest>')
    .description("Sign an image's manifest (as firmware make writes it): writes firmware-<version>.manifest.jws next to it.")
    .requiredOption('--key <file>', 'the signing private key (PEM)')
    .requiredOption('--cert <file>', "the signing key's certificate")
    .option('--model <[manufacturer/]model>', 'restrict the image to this device model (repeatable)', collectModels)
    .action(
      inputErrors(async (manifest: string, flags: { key: string; cert: string; model?: DeviceModel[] }) => {
        const image = readJson(resolve(manifest), 'the manifest');
        if (image === null || typeof image !== 'object' || Array.isArray(image))
          throw new Error(`the manifest ${manifest} is not a JSON object`);
        const signing = await signingMaterial({ signKey: resolve(flags.key), cert: resolve(flags.cert) });
        console.log(writeSignedManifest(image, dirname(resolve(manifest)), signing, flags.model));
      }),
    );

  firmware
    .command('verify <signed> [image]')
    .description('Check a signed manifest as devices do (and the image against it): exit 0 valid, 1 not valid, 2 bad input.')
    .requiredOption('--trust-root <file>', 'the roots file devices pin')
    .option('--bundle <file>', 'a trust bundle to adopt first, as a device would (repeatable, in version order)', collect)
    .option('--model <[manufacturer/]model>', "the device's model: an image restricted to other models is not valid for it", parseModel)
    // A command line it cannot take is bad input too (exit 2), never to be read as "not valid" (exit 1).
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action(inputErrors(verify));

  firmware
    .command('bundle')
    .description('Issue a trust bundle (root rotation, revocation) signed by root keys: a threshold of the current and of the new roots.')
    .requiredOption('--version <n>', 'its version: above the one devices trust', parsePositiveInt)
    .requiredOption('--root <file>', 'a root public key the bundle lists (repeatable)', collect)
    .requiredOption('--root-key <file>', 'a root private key that signs it (repeatable)', collect)
    .option('--threshold <n>', 'root signatures the next bundle needs (default: a majority)', parsePositiveInt)
    .option('--disable-root <kid>', 'a root key id to disable (repeatable)', collect)
    .option('--disable-key <kid>', 'a signing key id to revoke (repeatable)', collect)
    .option('--out <file>', 'write it there rather than print it')
    .action(
      inputErrors(
        async (flags: {
          version: number;
          root: string[];
          rootKey: string[];
          threshold?: number;
          disableRoot?: string[];
          disableKey?: string[];
          out?: string;
        }) => {
          const rootKeys = flags.root.map((path) => readPublicKey(resolve(path), 'the root key'));
          // One at a time: each may ask for its own passphrase.
          const signers: KeyObject[] = [];
          for (const path of flags.rootKey) signers.push(await unlockPrivateKey(resolve(path), 'the root key'));
          const bundle = issueTrustBundle({
            trust: {
              version: flags.version,
              threshold: flags.threshold ?? Math.floor(rootKeys.length / 2) + 1,
              rootKeys,
              disabledRootKeys: flags.disableRoot ?? [],
              disabledSigningKeys: flags.disableKey ?? [],
            },
            signers,
            now: new Date(),
          });
          output(JSON.stringify(bundle, null, 2), flags.out);
        },
      ),
    );
}
