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

  /** Start-up reports (function list, unsupported bindings) print whatever the level. */
  always(message: string): void {
    this.sink('Information', message);
  }

  rpc(level: RpcLogLevel, message: string): void {
    this.log(RPC_TO_NAME[level] ?? 'Information', message);
  }
}

function consoleSink(level: LogLevelName, line: string): void {
  if (level === 'Error' || level === 'Critical' || level === 'Warning') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}
