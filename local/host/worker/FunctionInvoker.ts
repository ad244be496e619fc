import { randomUUID } from 'node:crypto';
import type { HostFunction } from '../catalog/HostFunction';
import type { HostLogger } from '../HostLogger';
import type {
  CoreInvocationContext,
  ProgrammingModel,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcRetryContext,
  RpcTypedData,
} from './coreTypes';
import type { HookRegistry } from './HookRegistry';

export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: RpcRetryContext;
  /** Logged with the invocation, as the host's "Reason=…". */
  reason?: string;
  /** The caller reports failures itself (durable functions, whose errors carry replay state). */
  quietFailure?: boolean;
  /** Set when the caller must know it up front (HTTP streaming matches its proxy request by it). */
  invocationId?: string;
}

/** A failed invocation: the function (or a hook) threw. */
export class FunctionInvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly invocationId: string,
    /** What the function threw, whatever realm or type it is. */
    readonly thrown: unknown,
  ) {
    super(`Executed 'Functions.${functionName}' (Failed, Id=${invocationId}): ${messageOf(thrown)}`);
    this.name = 'FunctionInvocationError';
  }
}

/**
 * Invokes app functions the way the Node.js worker does: the programming model turns RPC data into
 * a context and inputs, hooks run around the call, and the model turns the result back into RPC data.
 */
/** Supplies an input binding's value for each invocation (e.g. the durable client's configuration). */
export type InputBindingProvider = (fn: HostFunction, bindingName: string) => RpcTypedData;

export class FunctionInvoker {
  private readonly inputProviders = new Map<string, InputBindingProvider>();

  constructor(
    private readonly programmingModel: () => ProgrammingModel | undefined,
    private readonly hooks: HookRegistry,
    private readonly logger: HostLogger,
  ) {}

  /** Input bindings of this type (case-insensitive) get their value from `provider`. */
  provideInput(bindingType: string, provider: InputBindingProvider): void {
    this.inputProviders.set(bindingType.toLowerCase(), provider);
  }

  async invoke(fn: HostFunction, input: InvocationInput): Promise<RpcInvocationResponse> {
    const model = this.programmingModel();
    if (!model) throw new Error('The app registered no programming model: it must use @azure/functions v4.');
    const invocationId = input.invocationId ?? randomUUID();
    const started = process.hrtime.bigint();
    const verbose = this.logger.enabled('Information');
    if (verbose)
      this.logger.info(
        `Executing 'Functions.${fn.name}' (Reason='${input.reason ?? 'This function was programmatically called via the host APIs.'}', Id=${invocationId})`,
      );
    const core: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.name,
        inputData: this.withProvidedInputs(fn, input.inputData),
        triggerMetadata: input.triggerMetadata ?? {},
        ...(input.retryContext ? { retryContext: input.retryContext } : {}),
      },
      metadata: { name: fn.name, functionId: fn.name, bindings: fn.rpcBindings },
      log: (level, category, message) => {
        this.logger.rpc(level, category === 'system' ? `Worker: ${message}` : message);
        this.hooks.runLogHooks({ level, category, message, invocationContext: args?.context });
      },
    };
    let args: { context: unknown; inputs: unknown[] } | undefined;
    try {
      const invocation = model.getInvocationModel(core);
      args = await invocation.getArguments();
      // What the worker hands hooks: shared hookData and the invocation context, plus the stage's own fields,
      // which a hook may replace (inputs and callback before, result and error after).
      const hookData: Record<string, unknown> = {};
      const invocationContext = args.context;
      const runHooks = async <T extends Record<string, unknown>>(stage: 'preInvocation' | 'postInvocation', fields: T): Promise<T> => {
        if (!this.hooks.has(stage)) return fields;
        core.state = `${stage}Hooks`;
        const context = { hookData, invocationContext, ...fields };
        await this.hooks.run(stage, context);
        return context;
      };
      const pre = await runHooks('preInvocation', { inputs: args.inputs, functionCallback: fn.callback });
      core.state = 'invocation';
      let result: unknown;
      let error: unknown;
      try {
        result = await invocation.invokeFunction(invocationContext, pre.inputs, pre.functionCallback);
      } catch (thrown) {
        error = thrown;
      }
      ({ result, error } = await runHooks('postInvocation', { inputs: pre.inputs, result, error }));
      core.state = undefined;
      if (error !== undefined && error !== null) throw error;
      const response = await invocation.getResponse(args.context, result);
      if (verbose) this.logger.info(`Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${elapsedMs(started)}ms)`);
      return response;
    } catch (thrown) {
      const failure = new FunctionInvocationError(fn.name, invocationId, thrown);
      if (!input.quietFailure) this.logger.error(`${failure.message}${stackOf(thrown)}`);
      throw failure;
    }
  }

  private withProvidedInputs(fn: HostFunction, inputData: RpcParameterBinding[]): RpcParameterBinding[] {
    const provided: RpcParameterBinding[] = [];
    for (const [name, binding] of Object.entries(fn.bindings)) {
      if (name === fn.trigger.name || binding.direction !== 'in') continue;
      const provider = this.inputProviders.get(binding.type.toLowerCase());
      if (provider) provided.push({ name, data: provider(fn, name) });
    }
    return provided.length === 0 ? inputData : [...inputData, ...provided];
  }
}

function elapsedMs(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e6);
}

/** Errors from the app may come from another realm: read them by shape, not instanceof. */
export function messageOf(thrown: unknown): string {
  if (thrown && typeof thrown === 'object' && 'message' in thrown && typeof thrown.message === 'string') return thrown.message;
  return String(thrown);
}

function stackOf(thrown: unknown): string {
  if (thrown && typeof thrown === 'object' && 'stack' in thrown && typeof thrown.stack === 'string') {
    return `\n${thrown.stack.split('\n').slice(1).join('\n')}`;
  }
  return '';
}
