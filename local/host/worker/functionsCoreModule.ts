import type {
  Disposable,
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';

/** Whoever is loading or running an app receives its registrations and system logs. */
export interface CoreApiListener {
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable;
  registerHook(hookName: string, callback: HookCallback): Disposable;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

/** Versions the library may read; the worker and host versions this behaves like. */
const WORKER_VERSION = '3.12.0';
const HOST_VERSION = '4.1040.0';

class CoreDisposable implements Disposable {
  static from(...likes: { dispose: () => unknown }[]): CoreDisposable {
    return new CoreDisposable(() => likes.forEach((like) => like.dispose()));
  }

  #callOnDispose?: () => unknown;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): void {
    const call = this.#callOnDispose;
    this.#callOnDispose = undefined;
    call?.();
  }
}

interface CoreModuleState {
  programmingModel?: ProgrammingModel;
  listener?: CoreApiListener;
  readonly exports: Record<string, unknown>;
}

/**
 * Kept on globalThis: @azure/functions caches the module object it got (and calls
 * setProgrammingModel once), so every host in this process must share one.
 */
const STATE = Symbol.for('fleetwave.host.functionsCore');
type GlobalWithCore = typeof globalThis & { [STATE]?: CoreModuleState };

function createState(): CoreModuleState {
  const state: CoreModuleState = {
    exports: {
      version: WORKER_VERSION,
      hostVersion: HOST_VERSION,
      Disposable: CoreDisposable,
      registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
        if (!state.listener) throw new Error('@azure/functions-core: functions can only be registered while the app loads.');
        return state.listener.registerFunction(metadata, callback);
      },
      registerHook(hookName: string, callback: HookCallback): Disposable {
        if (!state.listener) throw new Error('@azure/functions-core: hooks can only be registered while the app runs.');
        return state.listener.registerHook(hookName, callback);
      },
      setProgrammingModel(model: ProgrammingModel): void {
        state.programmingModel = model;
      },
      getProgrammingModel(): ProgrammingModel | undefined {
        return state.programmingModel;
      },
      log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
        state.listener?.log(level, category, message);
      },
    },
  };
  return state;
}

/**
 * Serves `require('@azure/functions-core')` as the Node.js worker does, by wrapping
 * Module.prototype.require. Must run before the app's first `app.*` call: the library caches a
 * failed lookup and then drops every registration ("test mode"). Idempotent.
 */
export function installFunctionsCore(): CoreModuleState {
  const global = globalThis as GlobalWithCore;
  if (global[STATE]) return global[STATE];
  const state = createState();
  // The real module system even under a test runner that replaces `require('module')`.
  const moduleClass = process.getBuiltinModule('module') as unknown as { prototype: { require: (id: string) => unknown } };
  moduleClass.prototype.require = new Proxy(moduleClass.prototype.require, {
    apply(target, thisArg, args: [string]) {
      if (args[0] === '@azure/functions-core') return state.exports;
      return Reflect.apply(target, thisArg, args);
    },
  });
  global[STATE] = state;
  return state;
}

export { CoreDisposable };
