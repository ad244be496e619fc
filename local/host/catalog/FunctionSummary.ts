import type { HostFunction } from './HostFunction';
import { HttpRouter } from '../triggers/http/HttpRouter';

/** How the host reports a function at start-up (and to callers of startFunctionHost). */
export interface FunctionSummary {
  name: string;
  /** The trigger binding type, e.g. httpTrigger, orchestrationTrigger. */
  trigger: string;
  /** HTTP triggers: the full route template (prefix included) and methods. */
  route?: string;
  methods?: string[];
  url?: string;
  /** False when a binding is not supported (or did not resolve): the function does not run. */
  runs: boolean;
  problems: string[];
}

export function summarize(fn: HostFunction, routePrefix: string, baseUrl: string): FunctionSummary {
  const summary: FunctionSummary = { name: fn.name, trigger: fn.trigger.type, runs: fn.problems.length === 0, problems: fn.problems };
  if (fn.triggerKind === 'http') {
    summary.route = HttpRouter.templateOf(fn, routePrefix);
    summary.url = `${baseUrl}/${summary.route}`;
    if (Array.isArray(fn.trigger.methods) && fn.trigger.methods.length > 0)
      summary.methods = fn.trigger.methods.map((m) => String(m).toUpperCase());
  }
  return summary;
}

/** The start-up listing, laid out like `func start`'s. */
export function formatFunctionList(summaries: FunctionSummary[]): string {
  if (summaries.length === 0) return 'No job functions found.';
  const lines = ['Functions:', ''];
  for (const summary of summaries) {
    const what = summary.url ? `[${(summary.methods ?? ['ALL']).join(',')}] ${summary.url}` : summary.trigger;
    lines.push(`\t${summary.name}: ${what}${summary.runs ? '' : '   (not running)'}`, '');
  }
  const problems = summaries.flatMap((s) =>
    s.problems.map((problem) => `The function '${s.name}' will not run: ${problem.replace(/\.$/, '')}.`),
  );
  return [...lines, ...problems].join('\n');
}
