import type { TimelineEntry } from '../../../contracts/rolloutApi';
import { useApi } from '../api/apiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Gantt } from '../components/Gantt';
import { usePolling } from '../hooks/usePolling';
import { formatTime } from '../model/format';
import { hrefs } from '../model/routes';
import { ganttBars, timelinePhases } from '../model/timelinePhases';
import { DataTable, type Column } from '../components/DataTable';

const TIMELINE_COLUMNS: Column<TimelineEntry>[] = [
  { header: 'Time', cell: (entry) => formatTime(entry.time, true), class: 'time' },
  { header: 'State', cell: (entry) => entry.state },
  { header: 'Status', cell: (entry) => entry.status ?? '—' },
  { header: 'Twin $version', cell: (entry) => entry.twinVersion ?? '—' },
  { header: 'Detail', cell: (entry) => entry.detail },
];

/** One device in one rollout: its stages over time, every timeline entry, its error and what it runs. */
export function DeviceDetailView({ rolloutId, deviceId }: { rolloutId: string; deviceId: string }) {
  const api = useApi();
  const { data: device, error } = usePolling(() => api.getDevice(rolloutId, deviceId), 2000, [rolloutId, deviceId]);
  // Only its policy is needed (does the rollout stage, then apply?), which never changes.
  const { data: rollout } = usePolling(() => api.getRollout(rolloutId), 3_600_000, [rolloutId]);
  const staging = rollout?.policy?.stageThenApply !== undefined;

  return (
    <>
      <p class="breadcrumb">
        <a href={hrefs.rollout(rolloutId)}>Rollout {rolloutId}</a>
      </p>
      <h1>
        Device <span class="id">{deviceId}</span>
      </h1>
      <ErrorNotice error={error} />
      {device === null ? (
        <p class="muted">{error === null ? 'Loading…' : ''}</p>
      ) : (
        <>
          <p class="state-line" aria-live="polite">
            <span class={`badge device-${device.state}`}>{device.state}</span>
            {device.status === null ? null : <span> status: {device.status}</span>}
            {device.progress === null ? null : <span> ({device.progress} %)</span>}
          </p>
          {device.error === null ? null : (
            <p class="device-error">
              <strong>{device.error.code}</strong>: {device.error.message}
            </p>
          )}
          <dl class="facts">
            <div>
              <dt>Running firmware</dt>
              <dd>{device.currentFwVersion ?? '—'}</dd>
            </div>
            <div>
              <dt>Twin $version</dt>
              <dd>{device.twinVersion ?? '—'}</dd>
            </div>
            <div>
              <dt>Wave</dt>
              <dd>{device.wave === null ? '—' : device.wave + 1}</dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>{formatTime(device.updatedAt)}</dd>
            </div>
          </dl>
          <section aria-labelledby="stages-heading">
            <h2 id="stages-heading">Stages</h2>
            <Gantt bars={ganttBars(timelinePhases(device.timeline, Date.now(), staging))} />
          </section>
          <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            {device.timelineDropped === 0 ? null : <p class="muted">{device.timelineDropped} older entries were dropped.</p>}
            <DataTable label="Timeline" columns={TIMELINE_COLUMNS} rows={device.timeline} rowKey={(_, index) => index} />
          </section>
        </>
      )}
    </>
  );
}
