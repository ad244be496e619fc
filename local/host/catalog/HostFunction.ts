import { resolveBinding } from '../config/resolveSettings';
import type { FunctionCallback, RegisteredBinding, RpcBindingInfo, RpcRetryOptions } from '../worker/coreTypes';
import type { Registration } from '../worker/AppRegistrations';
import { triggerProblems } from './triggerRequirements';
import { isSupportedInput, isSupportedOutput, isTriggerType, triggerKindOf, type TriggerKind } from './triggerKinds';

/** A registered function as the host runs it: bindings resolved, trigger known, or why it can't run. */
export interface HostFunction {
  name: string;
  /** The trigger binding, %settings% resolved. */
  trigger: RegisteredBinding & { name: string };
  /** Undefined when this host has no such trigger. */
  triggerKind?: TriggerKind;
  /** Every binding by name, %settings% resolved. */
  bindings: Record<string, RegisteredBinding>;
  /** What the invocation model is told about the bindings, as the Functions host tells the worker. */
  rpcBindings: Record<string, RpcBindingInfo>;
  callback: FunctionCallback;
  retryOptions?: RpcRetryOptions;
  /** Why the function does not run; empty when it does. */
  problems: string[];
}

export function toHostFunction(registration: Registration, env: NodeJS.ProcessEnv = process.env): HostFunction {
  const { metadata, callback } = registration;
  const problems: string[] = [];
  const bindings: Record<string, RegisteredBinding> = {};
  const rpcBindings: Record<string, RpcBindingInfo> = {};
  let trigger: (RegisteredBinding & { name: string }) | undefined;
  for (const [name, raw] of Object.entries(metadata.bindings)) {
    let binding = raw;
    try {
      binding = resolveBinding(raw, env);
    } catch (error) {
      problems.push(`binding '${name}' (${raw.type}): ${(error as Error).message}`);
    }
    bindings[name] = binding;
    rpcBindings[name] = {
      type: binding.type,
      direction: binding.direction,
      ...(binding.dataType ? { dataType: binding.dataType } : {}),
      ...(binding.properties ? { properties: binding.properties } : {}),
    };
    if (isTriggerType(binding.type)) trigger = { ...binding, name };
  }
  if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
  const triggerKind = triggerKindOf(trigger.type);
  if (!triggerKind) {
    problems.push(`trigger '${trigger.name}' of type '${trigger.type}' is not supported by this host`);
  } else {
    for (const [name, binding] of Object.entries(bindings)) {
      if (name === trigger.name) continue;
      const supported = binding.direction === 'in' ? isSupportedInput(binding.type) : isSupportedOutput(triggerKind, binding.type);
      if (!supported) problems.push(`binding '${name}' (${binding.type}, direction ${binding.direction}) is not supported by this host`);
    }
  }
  const fn: HostFunction = {
    name: metadata.name,
    trigger,
    ...(triggerKind ? { triggerKind } : {}),
    bindings,
    rpcBindings,
    callback,
    ...(metadata.retryOptions ? { retryOptions: metadata.retryOptions } : {}),
    problems,
  };
  if (problems.length === 0) problems.push(...triggerProblems(fn, env));
  return fn;
}
