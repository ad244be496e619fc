import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { TrustBundleJws } from '../../contracts/firmwareUpdate';
import { checkEd25519Jwk, jwkThumbprint, type Ed25519Jwk } from '../../contracts/signing/ed25519Jwk';
import type { DeviceModel } from '../../contracts/signing/signedManifest';
import type { Trust } from '../../contracts/signing/trust';
import { certifySigningKey, issueTrustBundle, makeTrustRoots, signManifest } from '../../local/firmware/signing';

export interface TestKey {
  kid: string;
  jwk: Ed25519Jwk;
  privateKey: KeyObject;
}

export function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const checked = checkEd25519Jwk(publicKey.export({ format: 'jwk' }));
  if (!checked.ok) throw new Error(checked.message);
  return { kid: jwkThumbprint(checked.jwk), jwk: checked.jwk, privateKey };
}

export interface ImageFacts {
  version: string;
  sha256: string;
  size: number;
}

/**
 * Signed-firmware material made with the real tooling (local/firmware/signing.ts): three roots (2 of
 * them sign a bundle), a certified signing key, and the ways a manifest goes wrong.
 */
export class SigningKit {
  readonly roots = [newKey(), newKey(), newKey()];
  readonly signer = newKey();
  readonly trust: Trust;
  readonly certificate: string;

  constructor(readonly now = new Date()) {
    this.trust = makeTrustRoots({ roots: this.roots.map(({ kid, jwk }) => ({ kid, jwk })), threshold: 2, now });
    this.certificate = this.certify(this.signer);
  }

  certify(key: TestKey, options: { now?: Date; days?: number } = {}): string {
    return certifySigningKey({
      rootKey: this.roots[0].privateKey,
      signingKey: key.jwk,
      now: options.now ?? this.now,
      days: options.days ?? 30,
    });
  }

  /** A valid manifest for `image` (by default by the certified signing key). */
  manifest(image: ImageFacts, key: TestKey = this.signer, certificate = this.certificate): string {
    return signManifest({ image, signingKey: key.privateKey, certificate, now: this.now });
  }

  /** A valid manifest for `image` that only devices of these models may install. */
  forModels(image: ImageFacts, compatibility: DeviceModel[]): string {
    return signManifest({ image, signingKey: this.signer.privateKey, certificate: this.certificate, now: this.now, compatibility });
  }

  /** Signed by a key nobody certified, carrying the real certificate: signatureInvalid. */
  forged(image: ImageFacts): string {
    const [header, payload] = this.manifest(image).split('.');
    const impostor = newKey();
    return `${header}.${payload}.${sign(null, Buffer.from(`${header}.${payload}`, 'ascii'), impostor.privateKey).toString('base64url')}`;
  }

  /** By a key whose certificate expired a day before `now`: signatureInvalid. */
  expired(image: ImageFacts): string {
    const key = newKey();
    const issued = new Date(this.now.getTime() - 3 * 86_400_000);
    return this.manifest(image, key, this.certify(key, { now: issued, days: 2 }));
  }

  /** A trust bundle of these roots at `version`, signed by the first two, revoking `disabledSigningKeys`. */
  bundle(version: number, disabledSigningKeys: string[] = []): TrustBundleJws {
    return issueTrustBundle({
      trust: {
        version,
        threshold: 2,
        rootKeys: this.roots.map(({ kid, jwk }) => ({ kid, jwk })),
        disabledRootKeys: [],
        disabledSigningKeys,
      },
      signers: [this.roots[0].privateKey, this.roots[1].privateKey],
      now: this.now,
    });
  }
}
