import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';

/** How the invoker reaches devices; implemented by the MQTT device endpoint. */
export interface MethodChannel {
  /** Connected and subscribed to $iothub/methods/POST/# — IoT Hub's definition of "online" for methods. */
  isListening(deviceId: string): boolean;
  /** Publishes the request; false when the device went away in the meantime. */
  sendRequest(deviceId: string, methodName: string, requestId: string, payload: Buffer): boolean;
}

export interface MethodInvocation {
  methodName: string;
  payload: unknown;
  responseTimeoutInSeconds: number;
  connectTimeoutInSeconds: number;
}

export interface MethodResult {
  status: number;
  payload: unknown;
}

interface PendingCall {
  deviceId: string;
  resolve(result: MethodResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Direct methods with IoT Hub's timing: wait up to connectTimeoutInSeconds for the device to
 * listen, then up to responseTimeoutInSeconds for its answer (504101), and fail at once when it
 * is not there (404103) or drops the connection mid-call (404104).
 */
export class DirectMethodInvoker {
  private readonly pending = new Map<string, PendingCall>();
  private readonly waitingForDevice = new Map<string, Set<() => void>>();
  private nextRequestId = 1;
  private channel: MethodChannel = { isListening: () => false, sendRequest: () => false };

  /** The device endpoint needs the invoker to report answers, so the channel is attached after both exist. */
  attach(channel: MethodChannel): void {
    this.channel = channel;
  }

  async invoke(deviceId: string, call: MethodInvocation): Promise<MethodResult> {
    if (!this.channel.isListening(deviceId)) {
      const listening = call.connectTimeoutInSeconds > 0 && (await this.waitForListener(deviceId, call.connectTimeoutInSeconds));
      if (!listening) throw IotHubErrorFactory.deviceNotOnline(call.connectTimeoutInSeconds);
    }
    // IoT Hub numbers requests in hex; the device echoes the id back in $rid.
    const requestId = (this.nextRequestId++).toString(16);
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(IotHubErrorFactory.gatewayTimeout(call.responseTimeoutInSeconds));
      }, call.responseTimeoutInSeconds * 1000);
      this.pending.set(requestId, { deviceId, resolve, reject, timer });
      const body = Buffer.from(JSON.stringify(call.payload ?? null));
      if (!this.channel.sendRequest(deviceId, call.methodName, requestId, body)) {
        this.settle(requestId)?.reject(IotHubErrorFactory.deviceNotOnline(call.connectTimeoutInSeconds));
      }
    });
  }

  /** A `$iothub/methods/res/<status>/?$rid=` publish; answers from the wrong device are ignored. */
  onResponse(deviceId: string, requestId: string, status: number, body: Buffer): void {
    const call = this.pending.get(requestId);
    if (!call || call.deviceId !== deviceId) return;
    this.settle(requestId)?.resolve({ status, payload: parsePayload(body) });
  }

  /** The device subscribed to methods: wake invocations waiting for it to connect. */
  onListening(deviceId: string): void {
    const waiters = this.waitingForDevice.get(deviceId);
    if (!waiters) return;
    this.waitingForDevice.delete(deviceId);
    for (const wake of waiters) wake();
  }

  /** The device's connection closed: its calls in flight cannot be answered any more. */
  onDisconnected(deviceId: string): void {
    for (const [requestId, call] of this.pending) {
      if (call.deviceId === deviceId) this.settle(requestId)?.reject(IotHubErrorFactory.deviceConnectionClosedRemotely(deviceId));
    }
  }

  close(): void {
    for (const requestId of [...this.pending.keys()])
      this.settle(requestId)?.reject(IotHubErrorFactory.serverError('The hub is shutting down.', 'nested'));
    for (const waiters of this.waitingForDevice.values()) for (const wake of waiters) wake();
    this.waitingForDevice.clear();
  }

  private settle(requestId: string): PendingCall | undefined {
    const call = this.pending.get(requestId);
    if (!call) return undefined;
    clearTimeout(call.timer);
    this.pending.delete(requestId);
    return call;
  }

  private waitForListener(deviceId: string, seconds: number): Promise<boolean> {
    return new Promise((resolve) => {
      let waiters = this.waitingForDevice.get(deviceId);
      if (!waiters) this.waitingForDevice.set(deviceId, (waiters = new Set()));
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waitingForDevice.get(deviceId) === waiters) this.waitingForDevice.delete(deviceId);
        resolve(this.channel.isListening(deviceId));
      };
      const timer = setTimeout(wake, seconds * 1000);
      waiters.add(wake);
    });
  }
}

/** Devices answer with JSON; anything else is passed through as text rather than failing the call. */
function parsePayload(body: Buffer): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
