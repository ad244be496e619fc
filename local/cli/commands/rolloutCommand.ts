import { InvalidArgumentError, type Command } from 'commander';
import {
  DEVICE_ROLLOUT_STATES,
  ROLLOUT_STATES,
  WEEKDAYS,
  type MaintenanceWindow,
  type RetryRequest,
  type RolloutState,
} from '../../../contracts/rolloutApi';
import { readFileSync } from 'node:fs';
import { deviceTable, rolloutSummary, rolloutTable, waveTable } from '../rollouts/renderRollout';
import { RolloutApiClient } from '../rollouts/RolloutApiClient';
import { exitCodeFor, printFinal, watchRollout } from '../rollouts/watchRollout';
import { parsePositiveInt } from '../options';

const DEFAULT_API = 'http://localhost:7071/api';

interface ApiFlags {
  api: string;
  key?: string;
}

interface StartFlags {
  spec?: string;
  manifest?: string;
  signedManifest?: string;
  uri?: string;
  version?: string;
  sha256?: string;
  size?: number;
  query?: string;
  devices?: string[];
  waves?: number[];
  maxConcurrency?: number;
  failurePercent?: number;
  minDevices?: number;
  onFailure?: 'pause' | 'abort';
  approval?: 'auto' | 'manual';
  soak?: number;
  startAt?: string;
  window?: MaintenanceWindow[];
  mode?: 'once' | 'continuous';
  rescanMinutes?: number;
  until?: string;
  id?: string;
  watch: boolean;
}

/** `fleetwave rollout …`: a client of the rollout HTTP API. */
export function registerRolloutCommand(program: Command): void {
  const rollout = program.command('rollout').description('Start and watch firmware rollouts through the rollout HTTP API.');
  /** Every subcommand takes --api and --key, wherever they stand on the command line. */
  const command = (nameAndArgs: string) =>
    rollout
      .command(nameAndArgs)
      .option('--api <url>', 'base URL of the API (or FLEETWAVE_API_URL)', process.env.FLEETWAVE_API_URL ?? DEFAULT_API)
      .option('--key <key>', 'function key, sent as x-functions-key (or FLEETWAVE_API_KEY)', process.env.FLEETWAVE_API_KEY);
  const api = (flags: ApiFlags) => new RolloutApiClient(flags.api, flags.key);

  command('start')
    .description('Start a rollout from flags or a full JSON spec (see the README for every field).')
    .option('--spec <file>', 'the whole POST /api/rollouts body as a JSON file; other flags override its fields')
    .option('--manifest <file>', 'firmware manifest from `fleetwave firmware make` (version, sha256, size)')
    .option('--signed-manifest <file>', 'its signed manifest (firmware-<version>.manifest.jws from `firmware make --sign-key` or `sign`)')
    .option('--uri <url>', 'where devices download the image')
    .option('--version <version>', 'firmware version (if no manifest)')
    .option('--sha256 <hex>', 'image SHA-256 (if no manifest)')
    .option('--size <bytes>', 'image size (if no manifest)', parsePositiveInt)
    .option('--query <where>', 'target devices by a twin query condition, e.g. "tags.ring = \'canary\'"')
    .option('--devices <ids>', 'target devices by id, comma-separated', (value) => value.split(',').filter(Boolean))
    .option('--waves <percents>', 'cumulative wave percents, e.g. 10,50,100', parsePercents)
    .option('--max-concurrency <n>', 'devices updating at once', parsePositiveInt)
    .option('--failure-percent <p>', 'failure threshold in percent', Number)
    .option('--min-devices <n>', 'devices finished before the threshold is judged', parsePositiveInt)
    .option('--on-failure <action>', 'pause | abort when the threshold trips', parseChoice('pause', 'abort'))
    .option('--approval <mode>', 'auto | manual approval between waves', parseChoice('auto', 'manual'))
    .option('--soak <seconds>', 'wait between waves', Number)
    .option('--start-at <iso>', 'start no earlier than this, ISO 8601 with an offset, e.g. 2026-05-01T22:00:00+02:00')
    .option(
      '--window <window>',
      'a weekly maintenance window, repeatable: "days from-to zone", e.g. "sat,sun 01:00-05:00 Europe/Berlin"',
      (value: string, windows: MaintenanceWindow[] = []) => [...windows, parseWindowOption(value)],
    )
    .option(
      '--mode <mode>',
      'once | continuous: also update devices that match the target later, until canceled or --until',
      parseChoice('once', 'continuous'),
    )
    .option('--rescan-minutes <n>', 'continuous: minutes between runs of the target query (0.5-1440, default 15)', Number)
    .option('--until <iso>', 'continuous: stop watching at this time, ISO 8601 with an offset')
    .option('--id <rolloutId>', 'choose the rollout id (re-POSTing the same spec is idempotent)')
    .option('--watch', 'follow it to the end with progress bars', false)
    .action(async (flags: StartFlags & ApiFlags) => {
      const client = api(flags);
      const accepted = await client.start(specFrom(flags));
      console.log(`Started rollout ${accepted.id}.`);
      if (flags.watch) await follow(client, accepted.id);
    });

  command('status <id>')
    .description('Show a rollout: state, totals and waves.')
    .option('--watch', 'follow it to the end with progress bars', false)
    .action(async (id: string, flags: { watch: boolean } & ApiFlags) => {
      const client = api(flags);
      if (flags.watch) return follow(client, id);
      const view = await client.get(id);
      console.log(`${rolloutSummary(view)}\n${waveTable(view.waves)}`);
    });

  command('list')
    .description('List rollouts, newest first (optionally in one state).')
    .option('--state <state>', ROLLOUT_STATES.join(' | '), parseChoice(...ROLLOUT_STATES))
    .option('--all', 'follow continuation tokens to the end', false)
    .action(async (flags: { state?: RolloutState; all: boolean } & ApiFlags) => {
      const client = api(flags);
      let page = await client.list({ state: flags.state });
      const items = [...page.items];
      while (flags.all && page.continuationToken) {
        page = await client.list({ state: flags.state, continuationToken: page.continuationToken });
        items.push(...page.items);
      }
      console.log(rolloutTable(items));
      if (!flags.all && page.continuationToken) console.log('(more: --all)');
    });

  command('devices <id> [deviceId]')
    .description("List a rollout's devices (optionally by state or error code), or show one device's timeline.")
    .option('--state <state>', DEVICE_ROLLOUT_STATES.join(' | '))
    .option('--error-code <code>', 'only devices whose error has this code, e.g. hashMismatch')
    .option('--all', 'follow continuation tokens to the end', false)
    .action(async (id: string, deviceId: string | undefined, flags: { state?: string; errorCode?: string; all: boolean } & ApiFlags) => {
      const client = api(flags);
      if (deviceId) return console.log(JSON.stringify(await client.device(id, deviceId), null, 2));
      const filter = { state: flags.state, errorCode: flags.errorCode };
      let page = await client.devices(id, filter);
      const items = [...page.items];
      while (flags.all && page.continuationToken) {
        page = await client.devices(id, { ...filter, continuationToken: page.continuationToken });
        items.push(...page.items);
      }
      console.log(deviceTable(items));
      if (!flags.all && page.continuationToken) console.log('(more: --all)');
    });

  command('retry <id>')
    .description('Run a finished rollout again on its failed and timed-out devices (or those --states names), through the same waves.')
    .option('--states <states>', 'device states to retry, comma-separated: failed,timedOut (default), canceled', (value) =>
      value.split(',').filter(Boolean),
    )
    .option('--error-code <code>', 'only devices whose error has this code; repeatable', (value: string, codes: string[] = []) => [
      ...codes,
      value,
    ])
    .option('--watch', 'follow the new attempt to the end with progress bars', false)
    .action(async (id: string, flags: { states?: string[]; errorCode?: string[]; watch: boolean } & ApiFlags) => {
      const client = api(flags);
      const request = { ...(flags.states ? { states: flags.states } : {}), ...(flags.errorCode ? { errorCodes: flags.errorCode } : {}) };
      // The API checks the states and names any it does not retry.
      const accepted = await client.retry(id, request as RetryRequest);
      console.log(
        `Retrying rollout ${id}: attempt ${accepted.attempt}, ${accepted.devices} devices (${accepted.selection.states.join(', ')}).`,
      );
      if (flags.watch) await follow(client, id);
    });

  for (const action of ['pause', 'resume', 'approve', 'cancel'] as const) {
    command(`${action} <id>`)
      .description(`${action[0].toUpperCase()}${action.slice(1)} a rollout.`)
      .action(async (id: string, flags: ApiFlags) => {
        await api(flags).act(id, action);
        console.log(`Asked rollout ${id} to ${action}.`);
      });
  }
}

async function follow(client: RolloutApiClient, id: string): Promise<void> {
  const final = await watchRollout(client, id);
  printFinal(final);
  process.exitCode = exitCodeFor(final);
}

function specFrom(flags: StartFlags): Record<string, unknown> {
  const spec: Record<string, unknown> = flags.spec ? (JSON.parse(readFileSync(flags.spec, 'utf8')) as Record<string, unknown>) : {};
  const manifest = flags.manifest
    ? (JSON.parse(readFileSync(flags.manifest, 'utf8')) as { version: string; sha256: string; size: number })
    : undefined;
  const firmware = { ...(spec.firmware as Record<string, unknown> | undefined) };
  if (manifest) Object.assign(firmware, { version: manifest.version, sha256: manifest.sha256, size: manifest.size });
  if (flags.version) firmware.version = flags.version;
  if (flags.sha256) firmware.sha256 = flags.sha256;
  if (flags.size) firmware.size = flags.size;
  if (flags.uri) firmware.uri = flags.uri;
  if (flags.signedManifest) firmware.manifest = readFileSync(flags.signedManifest, 'utf8').trim();
  if (Object.keys(firmware).length > 0) spec.firmware = firmware;
  if (flags.query) spec.target = { query: flags.query };
  if (flags.devices) spec.target = { deviceIds: flags.devices };
  if (flags.waves) spec.waves = flags.waves.map((percent) => ({ percent }));
  if (flags.maxConcurrency) spec.maxConcurrency = flags.maxConcurrency;
  if (flags.failurePercent !== undefined || flags.minDevices || flags.onFailure) {
    const threshold = { ...(spec.failureThreshold as Record<string, unknown> | undefined) };
    if (flags.failurePercent !== undefined) threshold.percent = flags.failurePercent;
    if (flags.minDevices) threshold.minDevices = flags.minDevices;
    if (flags.onFailure) threshold.action = flags.onFailure;
    spec.failureThreshold = threshold;
  }
  if (flags.approval) spec.approval = flags.approval;
  if (flags.soak !== undefined) spec.soakSeconds = flags.soak;
  if (flags.startAt !== undefined || flags.window !== undefined) {
    const schedule = { ...(spec.schedule as Record<string, unknown> | undefined) };
    if (flags.startAt !== undefined) schedule.startAt = flags.startAt;
    if (flags.window !== undefined) schedule.windows = flags.window;
    spec.schedule = schedule;
  }
  if (flags.mode !== undefined) spec.mode = flags.mode;
  if (flags.rescanMinutes !== undefined || flags.until !== undefined) {
    const continuous = { ...(spec.continuous as Record<string, unknown> | undefined) };
    if (flags.rescanMinutes !== undefined) continuous.rescanMinutes = flags.rescanMinutes;
    if (flags.until !== undefined) continuous.until = flags.until;
    spec.continuous = continuous;
  }
  if (flags.id) spec.rolloutId = flags.id;
  return spec;
}

/** "sat,sun 01:00-05:00 Europe/Berlin" as a window; the API checks the days, times and zone themselves. */
export function parseWindowOption(value: string): MaintenanceWindow {
  const match = /^\s*([a-z,]+)\s+(\d\d:\d\d)-(\d\d:\d\d)\s+(\S+)\s*$/.exec(value);
  if (match === null) {
    throw new InvalidArgumentError(
      `'${value}' must be "days from-to zone", e.g. "sat,sun 01:00-05:00 Europe/Berlin" (days: ${WEEKDAYS.join(',')}).`,
    );
  }
  const [, days, from, to, timeZone] = match;
  return { days: days.split(',').filter(Boolean) as MaintenanceWindow['days'], from, to, timeZone };
}

function parsePercents(value: string): number[] {
  const percents = value.split(',').map(Number);
  if (percents.some((p) => !Number.isFinite(p)))
    throw new InvalidArgumentError(`'${value}' must be comma-separated numbers, e.g. 10,50,100.`);
  return percents;
}

function parseChoice<T extends string>(...choices: T[]): (value: string) => T {
  return (value) => {
    if (!choices.includes(value as T)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}.`);
    return value as T;
  };
}
