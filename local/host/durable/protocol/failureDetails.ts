import { FunctionInvocationError } from '../../worker/FunctionInvoker';

/** DurableTask's FailureDetails, which durable-functions turns into a TaskFailedError. */
export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
  InnerFailure?: FailureDetails;
}

/**
 * FailureDetails for what a function threw. An activity wrapped by durable-functions with an
 * exception-properties provider throws a message that is itself the details as JSON.
 */
export function failureDetailsOf(thrown: unknown): FailureDetails {
  const error = thrown instanceof FunctionInvocationError ? thrown.thrown : thrown;
  const fields = error && typeof error === 'object' ? (error as { name?: unknown; message?: unknown; stack?: unknown }) : {};
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const provided = parseProvidedDetails(message);
  if (provided) return provided;
  return {
    ErrorType: typeof fields.name === 'string' ? fields.name : 'Error',
    ErrorMessage: message,
    ...(typeof fields.stack === 'string' ? { StackTrace: fields.stack } : {}),
    IsNonRetriable: false,
  };
}

function parseProvidedDetails(message: string): FailureDetails | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(message) as {
      errorType?: unknown;
      errorMessage?: unknown;
      stackTrace?: unknown;
      isNonRetriable?: unknown;
      properties?: unknown;
    };
    if (typeof parsed.errorType !== 'string' || typeof parsed.errorMessage !== 'string') return undefined;
    return {
      ErrorType: parsed.errorType,
      ErrorMessage: parsed.errorMessage,
      ...(typeof parsed.stackTrace === 'string' ? { StackTrace: parsed.stackTrace } : {}),
      IsNonRetriable: parsed.isNonRetriable === true,
      ...(parsed.properties && typeof parsed.properties === 'object' ? { Properties: parsed.properties as Record<string, unknown> } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Details for a failure the host itself reports (missing function, conflicting instance id …). */
export function hostFailure(message: string, errorType = 'Error'): FailureDetails {
  return { ErrorType: errorType, ErrorMessage: message, IsNonRetriable: true };
}
