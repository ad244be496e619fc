import type { FirmwareUpdateError, FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import { verifySignedManifest, type DeviceModel } from '../../contracts/signing/signedManifest';
import { acceptTrustBundle, type Trust } from '../../contracts/signing/trust';

/** Where the agent keeps the trust it adopted from bundles (the state store). */
export interface TrustStorage {
  loadTrust(): Trust | null;
  saveTrust(trust: Trust): void;
}

/**
 * The agent's firmware signature check, run before anything is downloaded: adopts the request's trust
 * bundle when it is newer than the trust held (persisted only once it validated), then verifies the
 * manifest against that trust, the request and the device's model (when it knows it). The trust starts
 * from the pinned roots, or from a bundle adopted earlier when that one is newer.
 */
export class SignatureCheck {
  private trust: Trust;

  constructor(
    pinned: Trust,
    private readonly storage: TrustStorage,
    private readonly options: { requireSigned: boolean; deviceModel?: DeviceModel | undefined },
  ) {
    const adopted = storage.loadTrust();
    this.trust = adopted !== null && adopted.version > pinned.version ? adopted : pinned;
  }

  /** The version of the trust the agent verifies with (0: the pinned roots). */
  get trustVersion(): number {
    return this.trust.version;
  }

  /** Why the request's image must not be downloaded, or undefined when it may be. */
  refusal(request: FirmwareUpdateRequest, now: Date): FirmwareUpdateError | undefined {
    if (request.trustBundle !== undefined) {
      const accepted = acceptTrustBundle(this.trust, request.trustBundle);
      if (!accepted.ok) return { code: accepted.code, message: accepted.message };
      if (accepted.adopted) {
        this.storage.saveTrust(accepted.trust);
        this.trust = accepted.trust;
      }
    }
    if (request.manifest === undefined && !this.options.requireSigned) return undefined;
    const verified = verifySignedManifest({
      manifest: request.manifest,
      trust: this.trust,
      now,
      expect: { version: request.fwVersion, sha256: request.sha256, size: request.size, ...this.options.deviceModel },
    });
    if (verified.ok) return undefined;
    const message = verified.code === 'signatureMissing' ? `${verified.message}, and this device requires one` : verified.message;
    return { code: verified.code, message };
  }
}
