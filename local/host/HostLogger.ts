import { LOG_LEVELS, type LogLevelName } from './config/hostJson';
import type { RpcLogLevel } from './worker/coreTypes';

export type LogSink = (level: LogLevelName, line: string) => void;

const RPC_TO_NAME: Record<RpcLogLevel, LogLevelName> = {
  trace: 'Trace',
  debug: 'Debug',
  information: 'Information',
  warning: 'Warning',
  error: 'Error',
  critical: 'Critical',
  none: 'None',
};

/** Writes host and function logs as `func start` does: `[timestamp] message`, filtered by host.json's level. */
export class HostLogger {
  private threshold: number;

  constructor(
    level: LogLevelName = 'Information',
    private readonly sink: LogSink = consoleSink,
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  setLevel(level: LogLevelName): void {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  enabled(level: LogLevelName): boolean {
    return level !== 'None' && LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  log(level: LogLevelName, message: string): void {
    if (this.enabled(level)) this.sink(level, `[${new Date().toISOString()}] ${message}`);
  }

  debug(message: string): void {
    this.log('Debug', message);
  }

  info(message: string): void {
    this.log('Information', message);
  }

  warn(message: string): void {
    this.log('Warning', message);
  }

  error(message: string): void {
    this.log('Error', message);
  }

  /** Start-up and shut-down reports (function list, unsupported bindings, durable work) print whatever the level. */
  always(message: string): void {
    this.sink('Information', message);
  }

  /** Writes out what the console sink still holds (start-up lines must precede "started"). */
  flush(): void {
    if (this.sink === consoleSink) flushConsole();
  }

  rpc(level: RpcLogLevel, message: string): void {
    this.log(RPC_TO_NAME[level] ?? 'Information', message);
  }
}

/**
 * stdout and stderr, a write per stream per event-loop turn rather than per line: a busy host logs
 * thousands of lines a second, and each write is a system call. Flushed on exit too.
 */
const pending = { stdout: [] as string[], stderr: [] as string[] };
let flushScheduled = false;

function consoleSink(level: LogLevelName, line: string): void {
  pending[level === 'Error' || level === 'Critical' || level === 'Warning' ? 'stderr' : 'stdout'].push(line);
  if (flushScheduled) return;
  if (!process.listeners('exit').includes(flushConsole)) process.on('exit', flushConsole);
  flushScheduled = true;
  setImmediate(flushConsole);
}

function flushConsole(): void {
  flushScheduled = false;
  for (const stream of ['stdout', 'stderr'] as const) {
    if (pending[stream].length === 0) continue;
    process[stream].write(`${pending[stream].join('\n')}\n`);
    pending[stream] = [];
  }
}
