import { useApi } from '../api/apiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Gantt } from '../components/Gantt';
import { usePolling } from '../hooks/usePolling';
import { formatTime } from '../model/format';
import { hrefs } from '../model/routes';
import { ganttBars, timelinePhases } from '../model/timelinePhases';
import { TableScroll } from '../components/TableScroll';

/** One device in one rollout: its stages over time, every timeline entry, its error and what it runs. */
export function DeviceDetailView({ rolloutId, deviceId }: { rolloutId: string; deviceId: string }) {
  const api = useApi();
  const { data: device, error } = usePolling(() => api.getDevice(rolloutId, deviceId), 2000, [rolloutId, deviceId]);

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
            <Gantt bars={ganttBars(timelinePhases(device.timeline, Date.now()))} />
          </section>
          <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            {device.timelineDropped === 0 ? null : <p class="muted">{device.timelineDropped} older entries were dropped.</p>}
            <TableScroll label="Timeline table">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">State</th>
                    <th scope="col">Status</th>
                    <th scope="col">Twin $version</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {device.timeline.map((entry, index) => (
                    <tr key={index}>
                      <td class="time">{formatTime(entry.time, true)}</td>
                      <td>{entry.state}</td>
                      <td>{entry.status ?? '—'}</td>
                      <td>{entry.twinVersion ?? '—'}</td>
                      <td>{entry.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </section>
        </>
      )}
    </>
  );
}
