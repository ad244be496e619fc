import type { ContinuousPolicy, ContinuousProgress, RolloutSchedule, RolloutView, StageThenApply } from '../../../contracts/rolloutApi';
import { AttemptList } from '../components/AttemptList';
import { useApi } from '../api/apiContext';
import { ControlLog } from '../components/ControlLog';
import { DeviceTable } from '../components/DeviceTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { RolloutControls } from '../components/RolloutControls';
import { ThresholdSummary } from '../components/ThresholdSummary';
import { WaveList } from '../components/WaveList';
import { usePolling } from '../hooks/usePolling';
import { finishedCount, rolloutStateLabel } from '../model/deviceStates';
import { formatBytes, formatDuration, formatTime, shortHash } from '../model/format';
import { rolloutPace } from '../model/pace';

/** One rollout, live: where it stands, its waves, its controls, its failed devices and its control log. */
export function RolloutDetailView({ rolloutId }: { rolloutId: string }) {
  const api = useApi();
  const { data: rollout, error, refresh } = usePolling(() => api.getRollout(rolloutId), 1000, [rolloutId]);

  return (
    <>
      <h1>
        Rollout <span class="id">{rolloutId}</span>
      </h1>
      <ErrorNotice error={error} />
      {rollout === null ? (
        <p class="muted">{error === null ? 'Loading…' : ''}</p>
      ) : (
        <>
          <RolloutSummary rollout={rollout} />
          <RolloutControls rollout={rollout} onDone={refresh} />
          <WaveList rollout={rollout} />
          <AttemptList attempts={rollout.attempts} />
          <ThresholdSummary rollout={rollout} />
          <DeviceTable rolloutId={rollout.id} waves={rollout.waves} totals={rollout.totals} />
          <ControlLog log={rollout.control.log} />
        </>
      )}
    </>
  );
}

function RolloutSummary({ rollout }: { rollout: RolloutView }) {
  const { totals, firmware } = rollout;
  const pace = rolloutPace(rollout, Date.now());
  return (
    <section aria-label="Summary">
      <p class="state-line" aria-live="polite">
        <span class={`badge rollout-${rollout.state}`}>{rolloutStateLabel(rollout.state)}</span>
        <span class="phase"> phase: {rollout.phase}</span>
        {rollout.error === undefined ? null : <span class="error-text"> {rollout.error}</span>}
      </p>
      <dl class="facts">
        <div>
          <dt>Firmware</dt>
          <dd>
            {firmware.version}, {formatBytes(firmware.size)}, sha256 <code title={firmware.sha256}>{shortHash(firmware.sha256)}</code>
          </dd>
        </div>
        <div>
          <dt>Devices</dt>
          <dd class="totals">
            {finishedCount(totals)}/{totals.targeted} done: {totals.succeeded} succeeded, {totals.failed} failed, {totals.timedOut} timed
            out, {totals.skipped} skipped, {totals.canceled} canceled; {totals.inProgress} in progress, {totals.pending} pending
          </dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd>{pace.perMinute === null ? '—' : `${pace.perMinute.toFixed(1)} devices/min`}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>
            {pace.etaMs === null ? '—' : formatDuration(pace.etaMs)}
            <span class="muted"> (not counting approval waits)</span>
          </dd>
        </div>
        {rollout.policy?.schedule === undefined ? null : (
          <div>
            <dt>Schedule</dt>
            <dd>
              <ScheduleText schedule={rollout.policy.schedule} nextWindowAt={rollout.nextWindowAt} />
            </dd>
          </div>
        )}
        {rollout.policy?.stageThenApply === undefined ? null : (
          <div>
            <dt>Install</dt>
            <dd>
              <StagingText policy={rollout.policy.stageThenApply} staged={rollout.inProgressBy.staged} targeted={totals.targeted} />
            </dd>
          </div>
        )}
        {rollout.policy?.continuous === undefined ? null : (
          <div>
            <dt>Mode</dt>
            <dd>
              <ContinuousText policy={rollout.policy.continuous} progress={rollout.continuous} nextRescanAt={rollout.nextRescanAt} />
            </dd>
          </div>
        )}
        {rollout.attempt < 2 ? null : (
          <div>
            <dt>Attempt</dt>
            <dd>{rollout.attempt}</dd>
          </div>
        )}
        <div>
          <dt>Created</dt>
          <dd>{formatTime(rollout.createdAt)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{rollout.startedAt === null ? '—' : formatTime(rollout.startedAt)}</dd>
        </div>
      </dl>
    </section>
  );
}

/** When devices may start: the start time, the windows (in their own time zones) and, while waiting, the next opening. */
function ScheduleText({ schedule, nextWindowAt }: { schedule: RolloutSchedule; nextWindowAt: string | null }) {
  const windows = (schedule.windows ?? []).map((w) => `${w.days.join(', ')} ${w.from}–${w.to} (${w.timeZone})`);
  return (
    <>
      {schedule.startAt === undefined ? null : <>starts at {formatTime(schedule.startAt)}. </>}
      {windows.length === 0 ? null : <>Devices start only in: {windows.join('; ')}. </>}
      {nextWindowAt === null ? null : <strong>Next window opens at {formatTime(nextWindowAt)}.</strong>}
    </>
  );
}

/** Stage, then apply: when a wave's apply pass starts, and how many devices hold a staged image now. */
function StagingText({ policy, staged, targeted }: { policy: StageThenApply; staged: number; targeted: number }) {
  return (
    <>
      each wave downloads first; it applies once {policy.stagedPercent} % of it is staged, or after {policy.deadlineMinutes} minutes.{' '}
      <strong>
        {staged} of {targeted} staged now.
      </strong>
    </>
  );
}

/** A continuous rollout: how often it looks for devices that newly match, until when, and what it found. */
function ContinuousText(props: { policy: ContinuousPolicy; progress: ContinuousProgress | null; nextRescanAt: string | null }) {
  const { policy, progress, nextRescanAt } = props;
  return (
    <>
      continuous: looks for new devices every {policy.rescanMinutes} min
      {policy.until === undefined ? ', until canceled' : `, until ${formatTime(policy.until)}`}.{' '}
      {progress === null ? null : (
        <>
          {progress.pickedUp} picked up, {progress.skipped} already on the version, in {progress.rescans} rescans.{' '}
        </>
      )}
      {nextRescanAt === null ? null : <strong>Next rescan at {formatTime(nextRescanAt)}.</strong>}
    </>
  );
}
