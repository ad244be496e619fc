/**
 * What the Azure Functions Node.js worker provides as `@azure/functions-core`: the API the
 * @azure/functions library registers functions with. Without it the library runs in "test mode"
 * and drops every registration with a warning; tests install this recorder instead with
 *
 *   jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });
 *
 * so the app's registrations (names, triggers, bindings, handlers) can be inspected.
 */

export interface RecordedBinding {
  type: string;
  direction: string;
  [setting: string]: unknown;
}

export interface RecordedFunction {
  name: string;
  bindings: Record<string, RecordedBinding>;
  retryOptions?: unknown;
  handler: (...args: unknown[]) => unknown;
}

export const registrations: RecordedFunction[] = [];

class Disposable {
  constructor(private readonly callback: () => void) {}
  dispose(): void {
    this.callback();
  }
}

export const functionsCore = {
  version: '3.10.1',
  hostVersion: '4.1040.0',
  Disposable,
  registerFunction(
    metadata: { name: string; bindings: Record<string, RecordedBinding>; retryOptions?: unknown },
    handler: (...args: unknown[]) => unknown,
  ): Disposable {
    const recorded: RecordedFunction = { name: metadata.name, bindings: metadata.bindings, retryOptions: metadata.retryOptions, handler };
    registrations.push(recorded);
    return new Disposable(() => registrations.splice(registrations.indexOf(recorded), 1));
  },
  registerHook(): Disposable {
    return new Disposable(() => undefined);
  },
  setProgrammingModel(): void {},
  getProgrammingModel(): undefined {
    return undefined;
  },
  log(): void {},
};

/** The trigger binding of a recorded function. */
export function triggerOf(fn: RecordedFunction): RecordedBinding {
  const trigger = Object.values(fn.bindings).find((binding) => binding.direction === 'in' && /Trigger$/.test(binding.type));
  if (!trigger) throw new Error(`${fn.name} has no trigger`);
  return trigger;
}

let fresh = 0;

/**
 * What a registration call (df.app.orchestration, df.app.entity …) hands the Functions host as the
 * function's handler: `register` runs with a fresh name and its registration is taken back out.
 */
export function registeredHandler(register: (name: string) => void): RecordedFunction['handler'] {
  const name = `registered${++fresh}`;
  register(name);
  const at = registrations.findIndex((fn) => fn.name === name);
  if (at < 0) throw new Error(`nothing registered as ${name}: mock @azure/functions-core with this module's functionsCore`);
  return registrations.splice(at, 1)[0].handler;
}
