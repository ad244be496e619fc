import { CoreDisposable } from './functionsCoreModule';
import type { Disposable, HookCallback, HookContext, HookName } from './coreTypes';

const HOOK_NAMES: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

/** The app's lifecycle hooks, run in registration order as the worker runs them. */
export class HookRegistry {
  private readonly hooks = new Map<HookName, HookCallback[]>();
  /** Shared by every hook of the app (appHookData). */
  readonly appHookData: Record<string, unknown> = {};
  /** The hookData of app-level hooks: appStart and appTerminate share it. */
  readonly appLevelHookData: Record<string, unknown> = {};

  register(hookName: string, callback: HookCallback): Disposable {
    if (!HOOK_NAMES.includes(hookName as HookName)) {
      // @azure/functions maps a RangeError to "needs a newer host".
      throw new RangeError(`Unrecognized hook "${hookName}"`);
    }
    const list = this.hooks.get(hookName as HookName) ?? [];
    list.push(callback);
    this.hooks.set(hookName as HookName, list);
    return new CoreDisposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  }

  has(hookName: HookName): boolean {
    return (this.hooks.get(hookName)?.length ?? 0) > 0;
  }

  /** Runs the hooks one after the other; a throwing hook stops the chain, as in the worker. */
  async run(hookName: HookName, context: Omit<HookContext, 'appHookData'>): Promise<void> {
    const list = this.hooks.get(hookName);
    if (!list) return;
    const full = { ...context, appHookData: this.appHookData } as HookContext;
    // The library's wrappers mutate the object they get; copy the changes back for the caller.
    for (const callback of [...list]) await callback(full);
    Object.assign(context, full);
  }

  /** Log hooks run synchronously and never break logging. */
  runLogHooks(context: Omit<HookContext, 'appHookData' | 'hookData'>): void {
    const list = this.hooks.get('log');
    if (!list) return;
    for (const callback of [...list]) {
      try {
        void callback({ ...context, hookData: {}, appHookData: this.appHookData } as HookContext);
      } catch {
        // A broken log hook must not take logging down with it.
      }
    }
  }
}
