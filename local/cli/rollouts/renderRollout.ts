import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { DeviceRow, RolloutStatus, RolloutView, Totals, WaveStatus } from '../../../contracts/rolloutApi';

const STATE_COLOR: Record<string, (text: string) => string> = {
  running: pc.cyan,
  paused: pc.yellow,
  awaitingApproval: pc.yellow,
  scheduled: pc.blue,
  waitingForWindow: pc.blue,
  watching: pc.cyan,
  completed: pc.green,
  completedWithFailures: pc.yellow,
  aborted: pc.red,
  canceled: pc.gray,
};

/** Plain tables when the output is not a terminal (logs, pipes, CI). */
function table(head: string[]): Table.Table {
  return new Table(process.stdout.isTTY ? { head } : { head, style: { head: [], border: [] } });
}

export function colorState(state: string): string {
  return (STATE_COLOR[state] ?? ((text: string) => text))(state);
}

function done(counts: Totals): number {
  return counts.succeeded + counts.failed + counts.timedOut + counts.skipped + counts.canceled;
}

export function rolloutSummary(rollout: RolloutView): string {
  const t = rollout.totals;
  const by = rollout.inProgressBy;
  // Staged devices exist only with stageThenApply (and `staged` only in answers of an app that counts them).
  const staged = (by.staged ?? 0) > 0 || rollout.policy?.stageThenApply !== undefined ? `${by.staged ?? 0} staged, ` : '';
  const split = t.inProgress > 0 ? ` (${by.waiting} waiting, ${by.downloading} downloading, ${staged}${by.applying} applying)` : '';
  return (
    `${pc.bold(rollout.id)}  ${colorState(rollout.state)}  firmware ${rollout.firmware.version}\n` +
    `  ${t.targeted} targeted: ${pc.green(`${t.succeeded} succeeded`)}, ${pc.red(`${t.failed} failed`)}, ${t.timedOut} timed out, ` +
    `${t.inProgress} in progress${split}, ${t.pending} pending, ${t.skipped} skipped, ${t.canceled} canceled` +
    attemptLines(rollout) +
    thresholdLine(rollout) +
    scheduleLines(rollout) +
    stageThenApplyLine(rollout) +
    continuousLine(rollout) +
    approvalLine(rollout)
  );
}

/** After a retry: each attempt, what it retried, when it ran and its own devices' totals (the line above is each device's latest). */
function attemptLines({ attempt, attempts }: RolloutView): string {
  // An app from before retries answers without attempts.
  const all = attempts ?? [];
  if (all.length < 2) return '';
  const lines = all.map((a) => {
    const codes = a.retried?.errorCodes == null ? '' : ` (${a.retried.errorCodes.join(', ')})`;
    const what = a.retried === null ? 'every target' : `retried ${a.retried.states.join(', ')}${codes}`;
    const when = `${a.startedAt} to ${a.finishedAt ?? 'now'}`;
    const t = a.totals;
    const counts = `${t.targeted} devices: ${t.succeeded} succeeded, ${t.failed} failed, ${t.timedOut} timed out, ${t.inProgress} in progress, ${t.pending} pending, ${t.canceled} canceled`;
    return `\n    ${a.attempt}: ${what}, ${when}; ${counts}`;
  });
  return `\n  attempt ${attempt} of ${all.length} (totals above: each device's latest):${lines.join('')}`;
}

/** A continuous rollout: how often it rescans, until when, what it picked up and when it looks next. */
function continuousLine({ policy, continuous, nextRescanAt }: RolloutView): string {
  const watch = policy?.continuous;
  if (watch === undefined) return '';
  const until = watch.until === undefined ? 'until canceled' : `until ${watch.until}`;
  const picked =
    continuous === null
      ? ''
      : `; ${continuous.pickedUp} picked up, ${continuous.skipped} already on the version, ${continuous.rescans} rescans`;
  const next = nextRescanAt === null ? '' : `; next rescan at ${nextRescanAt}`;
  return `\n  continuous: rescans the target every ${watch.rescanMinutes} min ${until}${picked}${next}`;
}

/** With manual approval: its timeout, and while a wave awaits approval with one, when it times out. */
function approvalLine({ policy, approvalDeadline, control }: RolloutView): string {
  if (policy === null || policy.approval.mode === 'auto') return '';
  const { timeoutMinutes, onTimeout } = policy.approval;
  const timeout = timeoutMinutes === undefined ? 'no timeout' : `${onTimeout} after ${timeoutMinutes} min without it`;
  const due = approvalDeadline === null ? '' : `; wave ${control.wave} times out at ${approvalDeadline}`;
  return `\n  approval: manual before each next wave, ${timeout}${due}`;
}

/** With stageThenApply: the barrier, and the pass of the wave the rollout is on, with its staged devices. */
function stageThenApplyLine({ policy, waves, control }: RolloutView): string {
  const stages = policy?.stageThenApply;
  if (stages === undefined) return '';
  const wave = control.wave === null ? undefined : waves[control.wave];
  const pass =
    wave?.pass === undefined ? '' : `; wave ${wave.index + 1} (${wave.name}): ${wave.pass} pass, ${wave.inProgressBy.staged} staged`;
  return `\n  stage then apply: apply once ${stages.stagedPercent} % of a wave is staged, stage deadline ${stages.deadlineMinutes} min${pass}`;
}

/** The schedule: its start, its maintenance windows and, while waiting for one, when the next opens. */
function scheduleLines({ policy, nextWindowAt }: RolloutView): string {
  const schedule = policy?.schedule;
  if (schedule === undefined) return '';
  const start = schedule.startAt === undefined ? '' : `\n  starts at ${schedule.startAt}`;
  const windows = (schedule.windows ?? []).map((w) => `${w.days.join(',')} ${w.from}-${w.to} ${w.timeZone}`).join('; ');
  const next = nextWindowAt === null ? '' : ` (next opens at ${nextWindowAt})`;
  return start + (windows === '' ? '' : `\n  maintenance windows: ${windows}${next}`);
}

/** The failure threshold as set and as it stands; nothing when the spec is no longer known. */
function thresholdLine({ policy, failureShare: share, waves }: RolloutView): string {
  if (policy === null) return '';
  const { percent, minDevices, action } = policy.failureThreshold;
  // Waves are numbered from 1 for people, as the dashboard does.
  const wave = share === null ? '' : `wave ${share.wave + 1}${waves[share.wave] === undefined ? '' : ` (${waves[share.wave].name})`}`;
  const now = share === null ? 'no device finished yet' : `${share.percent} % (${share.failed} of ${share.finished} finished) in ${wave}`;
  return `\n  failure threshold: ${action} above ${percent} % once ${minDevices} finished; now ${now}`;
}

export function rolloutTable(rollouts: RolloutStatus[]): string {
  const rows = table(['id', 'state', 'firmware', 'targeted', 'succeeded', 'failed', 'created']);
  for (const r of rollouts) {
    rows.push([
      r.id,
      colorState(r.state),
      r.firmware.version,
      r.totals.targeted,
      r.totals.succeeded,
      r.totals.failed + r.totals.timedOut,
      r.createdAt,
    ]);
  }
  return rows.toString();
}

export function waveTable(waves: WaveStatus[]): string {
  const rows = table(['wave', 'state', 'targeted', 'succeeded', 'failed', 'timed out', 'in progress']);
  for (const w of waves) {
    const state = colorState(w.state) + (w.pass === undefined ? '' : ` (${w.pass} pass, ${w.inProgressBy.staged ?? 0} staged)`);
    rows.push([w.name, state, w.targeted, w.succeeded, w.failed, w.timedOut, w.inProgress]);
  }
  return rows.toString();
}

export function deviceTable(devices: DeviceRow[]): string {
  const rows = table(['device', 'state', 'error']);
  for (const d of devices)
    rows.push([d.deviceId, d.state, d.error ? `${d.error.code}${d.error.message ? `: ${d.error.message}` : ''}` : '']);
  return rows.toString();
}

/** Live per-wave progress bars: done / targeted, with succeeded, failed and in progress. */
export class RolloutProgress {
  private readonly bars = new MultiBar(
    {
      format: ' {wave} |{bar}| {value}/{total}  {succeeded} ok  {failed} failed  {inProgress} in progress  {state}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    Presets.shades_classic,
  );
  private readonly waveBars = new Map<string, SingleBar>();

  update(rollout: RolloutStatus): void {
    const width = Math.max(...rollout.waves.map((w) => w.name.length), 4);
    for (const wave of rollout.waves) {
      const payload = {
        wave: wave.name.padEnd(width),
        succeeded: pc.green(String(wave.succeeded)),
        failed: pc.red(String(wave.failed + wave.timedOut)),
        inProgress: wave.inProgress,
        state: colorState(wave.state),
      };
      const bar = this.waveBars.get(wave.name);
      if (bar) {
        bar.setTotal(Math.max(wave.targeted, 1));
        bar.update(done(wave), payload);
      } else {
        this.waveBars.set(wave.name, this.bars.create(Math.max(wave.targeted, 1), done(wave), payload));
      }
    }
  }

  stop(): void {
    this.bars.stop();
  }
}
