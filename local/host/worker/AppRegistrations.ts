import type { CoreApiListener } from './functionsCoreModule';
import { CoreDisposable } from './functionsCoreModule';
import type { Disposable, FunctionCallback, FunctionMetadata, HookCallback, RpcLogCategory, RpcLogLevel } from './coreTypes';
import { HookRegistry } from './HookRegistry';
import type { HostLogger } from '../HostLogger';

export interface Registration {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** What one app registers through @azure/functions-core: its functions and hooks. */
export class AppRegistrations implements CoreApiListener {
  readonly functions = new Map<string, Registration>();
  readonly hooks = new HookRegistry();

  constructor(private readonly logger: HostLogger) {}

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    const key = metadata.name.toLowerCase();
    // Function names are case-insensitive in the Functions host.
    if (this.functions.has(key)) throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    this.functions.set(key, { metadata, callback });
    return new CoreDisposable(() => this.functions.delete(key));
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    return this.hooks.register(hookName, callback);
  }

  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    this.logger.rpc(level, category === 'system' ? `Worker: ${message}` : message);
    this.hooks.runLogHooks({ level, category, message });
  }
}
