import type { DeviceMethodResponse, Twin } from 'azure-iot-device';
import { existsSync, unlinkSync } from 'node:fs';
import https from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import {
  FIRMWARE_APPLY_METHOD,
  FIRMWARE_UPDATE_METHOD,
  METHOD_STATUS,
  type FirmwareApplyResponse,
  type FirmwareUpdateError,
  type FirmwareUpdateRequest,
  type FirmwareUpdateResponse,
  type FirmwareUpdateStatus,
} from '../../contracts/firmwareUpdate';
import type { DeviceModel } from '../../contracts/signing/signedManifest';
import type { Trust } from '../../contracts/signing/trust';
import { DownloadError, downloadImage } from '../download/downloadImage';
import type { Installer } from '../install/Installer';
import { DEFAULT_RECONNECT_BACKOFF, HubConnection, type ReconnectBackoff } from './HubConnection';
import { DEFAULT_REPORT_RETRY_BACKOFF, ReportedPropertiesWriter } from './ReportedPropertiesWriter';
import { validateFirmwareApplyRequest, validateFirmwareUpdateRequest } from './requestValidation';
import { SignatureCheck } from './signatureCheck';
import { isAtRest, isBusy, machineStateOf, transition, type MachineEvent } from './stateMachine';
import { StateStore, toReport, type AgentState, type UpdateState } from './stateStore';

export interface AgentOptions {
  connectionString: string;
  stateDir: string;
  installer: Installer;
  /** The version the device runs before any update (ignored once the state dir knows better). */
  initialFwVersion: string;
  /** PEM of a CA to trust for the hub and for image downloads (the local stack's). */
  ca?: string;
  /** Allow http:// image URIs. */
  allowInsecureDownloads?: boolean;
  /**
   * Verify signed firmware against these pinned roots (see agent/trustRoots.ts): a request's manifest is
   * checked before anything is downloaded, and its trust bundle adopted when newer. Absent: manifests are ignored.
   */
  trustRoots?: Trust;
  /** With trustRoots: refuse firmware without a manifest (signatureMissing). Default false, for unsigned rollouts. */
  requireSigned?: boolean;
  /**
   * What this device is. Reported as firmware.model / firmware.manufacturer (rollouts can target it), and
   * with trustRoots a signed manifest restricted to other models is refused (manifestMismatch).
   */
  deviceModel?: DeviceModel;
  /** How long a simulated reboot keeps the device offline. Default 0. */
  rebootMs?: number;
  /**
   * fsync every state change (default true): what a real device needs to survive a power cut.
   * Simulated devices share one machine that keeps running, so a process crash is all they see.
   */
  fsyncState?: boolean;
  downloadIdleTimeoutMs?: number;
  /** Waits between reconnect attempts (exponential with jitter, for as long as the agent runs). */
  reconnectBackoff?: ReconnectBackoff;
  /** Waits between sends of a reported patch the hub refused (exponential with jitter, reset by a success). */
  reportRetryBackoff?: ReconnectBackoff;
  /**
   * How long a request to the hub (connect, twin read, a reported patch) may go unanswered before
   * the connection is replaced. Default 30 s.
   */
  hubRequestTimeoutMs?: number;
  /** Fault injection for simulated fleets: a download failure to report instead of downloading. */
  simulatedDownloadFailure?: () => DownloadError | undefined;
  log?: (message: string) => void;
}

const PROGRESS_INTERVAL_MS = 1000;
const DEFAULT_HUB_REQUEST_TIMEOUT_MS = 30_000;

/** A direct method's answer: the status and the body the device sends back. */
interface MethodAnswer<Body> {
  status: number;
  body: Body;
}

/**
 * The device side of a rollout: answers the firmwareUpdate direct method at once, then runs the
 * update through the state machine, persisting every step before reporting it, so that after a
 * crash it resumes (or reports the failure) from the persisted state — never stuck in between.
 * A `staged` update rests at downloadComplete until the firmwareApply direct method.
 */
export class FirmwareUpdateAgent {
  private readonly store: StateStore;
  private state: AgentState;
  private readonly connection: HubConnection;
  private readonly reported: ReportedPropertiesWriter;
  private readonly downloadAgent: https.Agent;
  private readonly signatures: SignatureCheck | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastProgressAt = 0;

  constructor(private readonly options: AgentOptions) {
    this.store = new StateStore(options.stateDir, { fsync: options.fsyncState ?? true });
    this.state = this.store.load(options.initialFwVersion);
    if (options.requireSigned && !options.trustRoots) throw new Error('requireSigned needs trustRoots to verify signatures with');
    this.signatures =
      options.trustRoots &&
      new SignatureCheck(options.trustRoots, this.store, {
        requireSigned: options.requireSigned ?? false,
        deviceModel: options.deviceModel,
      });
    const hubRequestTimeoutMs = options.hubRequestTimeoutMs ?? DEFAULT_HUB_REQUEST_TIMEOUT_MS;
    this.connection = new HubConnection({
      connectionString: options.connectionString,
      ca: options.ca,
      backoff: options.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF,
      requestTimeoutMs: hubRequestTimeoutMs,
      methods: {
        [FIRMWARE_UPDATE_METHOD]: (request, response) => this.answer(FIRMWARE_UPDATE_METHOD, response, this.decide(request.payload)),
        [FIRMWARE_APPLY_METHOD]: (request, response) => this.answer(FIRMWARE_APPLY_METHOD, response, this.decideApply(request.payload)),
      },
      onConnected: (twin) => this.onConnected(twin),
      onDisconnected: () => this.reported.attach(undefined),
      log: (message) => this.log(message),
    });
    this.reported = new ReportedPropertiesWriter({
      answerTimeoutMs: hubRequestTimeoutMs,
      retryBackoff: options.reportRetryBackoff ?? DEFAULT_REPORT_RETRY_BACKOFF,
      onError: (error) => this.log(`reporting failed, will retry: ${error.message}`),
      onStalled: () => this.connection.reconnect(`a reported patch had no answer within ${hubRequestTimeoutMs} ms`),
    });
    this.downloadAgent = new https.Agent(options.ca ? { secureContext: trustingAlso(options.ca) } : {});
  }

  get currentFwVersion(): string {
    return this.state.currentFwVersion;
  }

  get update(): UpdateState | null {
    return this.state.update;
  }

  /** Connects, reconciles the twin with the persisted state, and resumes an interrupted update. */
  async start(): Promise<void> {
    this.failInterruptedInstall();
    await this.connection.start();
    this.resume();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reported.stop();
    await this.connection.stop();
  }

  /** Resolves when the running update (if any) has finished and its reports are acknowledged. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
    await this.reported.idle();
  }

  /** Every (re)connection: a fresh client and twin; what was in flight is sent again, and the twin reconciled. */
  private onConnected(twin: Twin): void {
    this.reported.attach(twin);
    // The twin shows exactly what the agent knows, whatever happened while offline.
    this.reported.reconcile(
      {
        // null (absent) for what the agent is not told, so a model no longer configured is removed.
        firmware: {
          currentFwVersion: this.state.currentFwVersion,
          model: this.options.deviceModel?.model ?? null,
          manufacturer: this.options.deviceModel?.manufacturer ?? null,
        },
        iothubDM: { firmwareUpdate: this.state.update ? toReport(this.state.update) : null },
      },
      twin.properties.reported,
    );
  }

  private answer(method: string, response: DeviceMethodResponse, { status, body }: MethodAnswer<object>): void {
    response.send(status, body, (error?: Error) => {
      if (error) this.log(`could not answer ${method}: ${error.message}`);
    });
  }

  /** The firmwareUpdate answer; accepting persists the new update before the answer goes out. */
  private decide(payload: unknown): MethodAnswer<FirmwareUpdateResponse> {
    const validation = validateFirmwareUpdateRequest(payload, {
      allowInsecureDownloads: this.options.allowInsecureDownloads ?? false,
      verifiesSignatures: this.signatures !== undefined,
    });
    if (!validation.ok) {
      return {
        status: METHOD_STATUS.badRequest,
        body: { status: 'invalid', field: validation.field, message: `${validation.field} ${validation.message}` },
      };
    }
    const request = validation.request;
    const current = this.state.update;
    if (current && current.request.rolloutId === request.rolloutId && !isRetryOf(current, request)) {
      const echo = current.request.install === 'staged' ? { install: current.request.install } : {};
      return { status: METHOD_STATUS.ok, body: { status: 'current', rolloutId: request.rolloutId, state: toReport(current), ...echo } };
    }
    if (current && isBusy(machineStateOf(current))) {
      return {
        status: METHOD_STATUS.conflict,
        body: {
          status: 'busy',
          rolloutId: current.request.rolloutId,
          message: `Update ${current.request.rolloutId} is ${current.status}.`,
        },
      };
    }
    const now = new Date().toISOString();
    if (request.fwVersion === this.state.currentFwVersion) {
      this.begin(request, 'alreadyInstalled', now);
      return { status: METHOD_STATUS.ok, body: { status: 'alreadyInstalled', rolloutId: request.rolloutId, fwVersion: request.fwVersion } };
    }
    this.begin(request, 'accept', now);
    this.resume();
    const echo = request.install === 'staged' ? { install: request.install } : {};
    return { status: METHOD_STATUS.ok, body: { status: 'accepted', rolloutId: request.rolloutId, ...echo } };
  }

  /**
   * The firmwareApply answer: applies the staged update of that rollout and version, or says what
   * the device has instead; asked again once it applies, it answers with the state, nothing restarted.
   */
  private decideApply(payload: unknown): MethodAnswer<FirmwareApplyResponse> {
    const validation = validateFirmwareApplyRequest(payload);
    if (!validation.ok) {
      return {
        status: METHOD_STATUS.badRequest,
        body: { status: 'invalid', field: validation.field, message: `${validation.field} ${validation.message}` },
      };
    }
    const { rolloutId, fwVersion, tracker } = validation.request;
    const current = this.state.update;
    const same = current !== null && current.request.rolloutId === rolloutId && current.request.fwVersion === fwVersion;
    if (same && machineStateOf(current) === 'staged') {
      this.move(current, 'startApply', {
        request: { ...current.request, tracker },
        times: { ...current.times, startedApplyingImage: new Date().toISOString() },
        applyStep: 'installing',
      });
      this.resume();
      return { status: METHOD_STATUS.ok, body: { status: 'applying', rolloutId } };
    }
    if (same && APPLIED.has(current.status)) {
      return { status: METHOD_STATUS.ok, body: { status: 'current', rolloutId, state: toReport(current) } };
    }
    const has = current
      ? `the device's update is ${current.request.rolloutId} ${current.request.fwVersion}, ${machineStateOf(current)}`
      : 'the device has no update';
    return {
      status: METHOD_STATUS.conflict,
      body: {
        status: 'notStaged',
        rolloutId: current?.request.rolloutId ?? null,
        message: `Nothing is staged for ${rolloutId} ${fwVersion}: ${has}.`,
      },
    };
  }

  private begin(request: FirmwareUpdateRequest, event: 'accept' | 'alreadyInstalled', now: string): void {
    const previous = this.state.update;
    const status = transition(machineStateOf(previous), event);
    // A replaced staged image goes, unless the new update is the same image (then it need not download).
    if (previous && machineStateOf(previous) === 'staged' && previous.request.sha256 !== request.sha256) this.discardImage(previous);
    const lastFirmwareUpdate = previous?.times.lastFirmwareUpdate ?? null;
    this.commit({
      request,
      status,
      error: null,
      times: {
        startedWaitingTime: status === 'waiting' ? now : null,
        startedDownloadingTime: null,
        downloadCompleteTime: null,
        startedApplyingImage: null,
        lastFirmwareUpdate: status === 'applyComplete' ? now : lastFirmwareUpdate,
      },
    });
  }

  /** Runs the machine from wherever the persisted state stands, once at a time. */
  private resume(): void {
    if (this.running || isAtRest(machineStateOf(this.state.update))) return;
    this.running = this.drive()
      .catch((error: unknown) => this.log(`update stopped unexpectedly: ${(error as Error).stack ?? error}`))
      .finally(() => {
        this.running = undefined;
      });
  }

  private async drive(): Promise<void> {
    for (let update = this.state.update; update && !isAtRest(machineStateOf(update)) && !this.stopped; update = this.state.update) {
      const now = () => new Date().toISOString();
      switch (update.status) {
        case 'waiting': {
          // Signed firmware is checked before a byte is downloaded: a refused image never reaches the device.
          const refusal = this.signatures?.refusal(update.request, new Date());
          if (refusal) this.fail(update, 'downloadFailed', refusal);
          else this.move(update, 'startDownload', { times: { ...update.times, startedDownloadingTime: now() }, progress: 0 });
          break;
        }
        case 'downloading':
          await this.download(update);
          break;
        case 'downloadComplete':
          this.move(update, 'startApply', { times: { ...update.times, startedApplyingImage: now() }, applyStep: 'installing' });
          break;
        case 'applying':
          await this.apply(update);
          break;
      }
    }
  }

  private async download(update: UpdateState): Promise<void> {
    const { request } = update;
    try {
      const simulated = this.options.simulatedDownloadFailure?.();
      if (simulated) throw simulated;
      await downloadImage({
        uri: request.fwPackageUri,
        size: request.size,
        sha256: request.sha256,
        path: this.store.imagePath(request),
        agent: this.downloadAgent,
        idleTimeoutMs: this.options.downloadIdleTimeoutMs,
        onProgress: (bytes, total) => this.progress(bytes, total),
      });
      this.move(update, 'downloadSucceeded', {
        times: { ...update.times, downloadCompleteTime: new Date().toISOString() },
        progress: undefined,
      });
    } catch (error) {
      const failure = error instanceof DownloadError ? error : new DownloadError('network', String((error as Error)?.message ?? error));
      this.fail(update, 'downloadFailed', { code: failure.code, message: failure.message });
    }
  }

  private async apply(update: UpdateState): Promise<void> {
    const { installer } = this.options;
    const context = { imagePath: this.store.imagePath(update.request), request: update.request };
    if (update.applyStep !== 'rebooting') {
      if (!existsSync(context.imagePath)) {
        return this.fail(update, 'applyFailed', { code: 'imageMissing', message: `The downloaded image ${context.imagePath} is gone.` });
      }
      const outcome = await installer.install(context);
      if (!outcome.ok) return this.fail(update, 'applyFailed', { code: outcome.code, message: outcome.message });
      if (!outcome.rebootRequired) return this.succeed(update);
      this.commit({ ...update, applyStep: 'rebooting' });
      return this.reboot();
    }
    // The device is back from the reboot the install asked for (or the agent restarted during it).
    const boot = await installer.verifyBoot(context);
    if (!boot.ok) return this.fail(update, 'applyFailed', { code: boot.code, message: boot.message });
    this.succeed(update);
  }

  /** An install that cannot simply run again, found half done after a restart, has failed. */
  private failInterruptedInstall(): void {
    const update = this.state.update;
    if (update?.status === 'applying' && update.applyStep === 'installing' && !this.options.installer.resumable) {
      this.fail(update, 'applyFailed', { code: 'installFailed', message: 'The install was interrupted by a restart of the agent.' });
    }
  }

  private async reboot(): Promise<void> {
    this.log('rebooting into the new image');
    // Like a real device, tell the hub where things stand before going down, but not at any
    // price: what is not acknowledged is sent again after the reboot.
    await Promise.race([this.reported.idle(), this.connection.whenDisconnected()]);
    await this.connection.goOffline(this.options.rebootMs ?? 0);
  }

  private succeed(update: UpdateState): void {
    this.state.currentFwVersion = update.request.fwVersion;
    this.move(update, 'applySucceeded', { times: { ...update.times, lastFirmwareUpdate: new Date().toISOString() }, applyStep: undefined });
    this.discardImage(update);
  }

  private fail(update: UpdateState, event: 'downloadFailed' | 'applyFailed', error: FirmwareUpdateError): void {
    this.log(`${event}: ${error.code}: ${error.message}`);
    this.move(update, event, { error, progress: undefined, applyStep: undefined });
    this.discardImage(update);
  }

  private move(update: UpdateState, event: MachineEvent, changes: Partial<UpdateState>): void {
    this.commit({ ...update, ...changes, status: transition(machineStateOf(update), event) });
  }

  /** Persist first, then report: the state file is the truth the twin mirrors. */
  private commit(update: UpdateState): void {
    const { progress, applyStep, ...rest } = update;
    const clean: UpdateState = {
      ...rest,
      ...(progress === undefined ? {} : { progress }),
      ...(applyStep === undefined ? {} : { applyStep }),
    };
    const previous = this.state.update;
    this.state = { ...this.state, update: clean };
    this.store.save(this.state);
    if (previous?.status !== clean.status || previous.request.rolloutId !== clean.request.rolloutId) {
      this.log(`${clean.request.rolloutId}: ${clean.status}${clean.error ? ` (${clean.error.code}: ${clean.error.message})` : ''}`);
    }
    this.reported.write({ firmware: { currentFwVersion: this.state.currentFwVersion }, iothubDM: { firmwareUpdate: toReport(clean) } });
  }

  /** Download progress, reported at most once a second (and not persisted: a resume recomputes it). */
  private progress(bytes: number, total: number): void {
    const nowMs = Date.now();
    if (nowMs - this.lastProgressAt < PROGRESS_INTERVAL_MS || !this.state.update) return;
    this.lastProgressAt = nowMs;
    this.state.update.progress = Math.floor((bytes * 100) / total);
    this.reported.write({ iothubDM: { firmwareUpdate: toReport(this.state.update) } }, { replaceable: true });
  }

  private discardImage(update: UpdateState): void {
    const path = this.store.imagePath(update.request);
    if (existsSync(path)) unlinkSync(path);
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

/** A later attempt of the rollout (a retry) after this device's update of it failed: the update starts over. */
function isRetryOf(current: UpdateState, request: FirmwareUpdateRequest): boolean {
  const failed = current.status === 'downloadFailed' || current.status === 'applyFailed';
  return failed && (request.attempt ?? 1) > (current.request.attempt ?? 1);
}

/** An update in one of these has been applied, or is being: firmwareApply starts nothing more. */
const APPLIED: ReadonlySet<FirmwareUpdateStatus> = new Set(['applying', 'applyComplete', 'applyFailed']);

/**
 * A TLS context trusting the public roots plus `ca`, built once per CA: parsing ~140 root
 * certificates costs milliseconds, and https.Agent would otherwise redo it for every connection
 * (and every agent of a simulated fleet).
 */
const contexts = new Map<string, SecureContext>();
function trustingAlso(ca: string): SecureContext {
  let context = contexts.get(ca);
  if (context === undefined) {
    context = createSecureContext({ ca: [...rootCertificates, ca] });
    contexts.set(ca, context);
  }
  return context;
}
