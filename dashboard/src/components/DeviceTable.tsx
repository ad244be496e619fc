import { useState } from 'preact/hooks';
import type { ApplyErrorCode, DownloadErrorCode } from '../../../contracts/firmwareUpdate';
import type { DeviceRolloutState, DeviceRow, Totals, WaveStatus } from '../../../contracts/rolloutApi';
import { useApi } from '../api/apiContext';
import { usePolling } from '../hooks/usePolling';
import { fillPage } from '../model/fillPage';
import { formatTime } from '../model/format';
import { hrefs } from '../model/routes';
import { currentToken, FIRST_PAGE } from '../model/tokenStack';
import { ErrorNotice } from './ErrorNotice';
import { Pager } from './Pager';
import { DataTable, type Column } from './DataTable';

function columns(rolloutId: string, waves: readonly WaveStatus[]): Column<DeviceRow>[] {
  return [
    { header: 'Device', rowHeader: true, cell: (row) => <a href={hrefs.device(rolloutId, row.deviceId)}>{row.deviceId}</a> },
    { header: 'Wave', cell: (row) => (row.wave === null ? '—' : (waves[row.wave]?.name ?? row.wave + 1)) },
    { header: 'State', cell: (row) => row.state },
    { header: 'Status', cell: (row) => row.status ?? '—' },
    { header: 'Error code', cell: (row) => row.error?.code ?? '—' },
    { header: 'Message', cell: (row) => row.error?.message ?? '', class: 'message' },
    { header: 'Updated', cell: (row) => formatTime(row.updatedAt), class: 'time' },
  ];
}

const PAGE_SIZE = 25;
/** Any state: rows change as devices move. */
const ROWS_CHANGING_MS = 2000;
/** A final state: a safety net only; a change of the count reloads at once. */
const ROWS_SETTLED_MS = 30_000;
const STATE_FILTERS: Record<string, { label: string; state: DeviceRolloutState | null }> = {
  failed: { label: 'failed', state: 'failed' },
  timedOut: { label: 'timed out', state: 'timedOut' },
  any: { label: 'any state', state: null },
};
/** The codes devices report, offered as suggestions (a Record, so a new code in the contract is not missed); any other can be typed. */
const DEVICE_ERROR_CODES: Record<DownloadErrorCode | ApplyErrorCode, true> = {
  httpError: true,
  network: true,
  timeout: true,
  sizeMismatch: true,
  hashMismatch: true,
  signatureMissing: true,
  signatureInvalid: true,
  keyRevoked: true,
  manifestMismatch: true,
  installFailed: true,
  bootFailed: true,
  rolledBack: true,
  imageMissing: true,
};

/**
 * The rollout's devices, failed ones first shown, filtered by state and error code; one page in the DOM at a time.
 *
 * Filtered by a final state (failed, timed out), its rows never change once there; only their
 * number does, and the rollout's totals (polled every second) say when. So the table loads again
 * when that number changes, not on a timer, and asks nothing while it is 0: on a 10,000-device
 * rollout with no failure, a filtered page would otherwise scan every shard every two seconds.
 */
export function DeviceTable({ rolloutId, waves, totals }: { rolloutId: string; waves: readonly WaveStatus[]; totals: Totals }) {
  const api = useApi();
  const [filter, setFilter] = useState('failed');
  const [errorCode, setErrorCode] = useState('');
  // What is typed; the filter applies on change (Enter, leaving the field, a suggestion picked).
  const [errorCodeDraft, setErrorCodeDraft] = useState('');
  const [pages, setPages] = useState(FIRST_PAGE);
  const token = currentToken(pages);
  const state = STATE_FILTERS[filter].state;
  const matching = state === null ? null : totals[state];
  const { data, error } = usePolling(
    () =>
      matching === 0
        ? Promise.resolve({ items: [], continuationToken: null })
        : fillPage(
            (continuationToken, top) =>
              api.listDevices(rolloutId, { state, errorCode: errorCode === '' ? null : errorCode, top, continuationToken }),
            token,
            PAGE_SIZE,
          ),
    matching === null ? ROWS_CHANGING_MS : ROWS_SETTLED_MS,
    [rolloutId, state, errorCode, token],
    matching,
  );

  return (
    <section aria-labelledby="devices-heading">
      <h2 id="devices-heading">Devices</h2>
      <div class="toolbar">
        <label for="device-state-filter">State</label>
        <select
          id="device-state-filter"
          value={filter}
          onChange={(event) => {
            setFilter(event.currentTarget.value);
            setPages(FIRST_PAGE);
          }}
        >
          {Object.entries(STATE_FILTERS).map(([value, { label }]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <label for="device-error-filter">Error code</label>
        <input
          id="device-error-filter"
          list="known-error-codes"
          placeholder="any"
          value={errorCodeDraft}
          onInput={(event) => setErrorCodeDraft(event.currentTarget.value)}
          onChange={(event) => {
            setErrorCode(event.currentTarget.value.trim());
            setPages(FIRST_PAGE);
          }}
        />
        <datalist id="known-error-codes">
          {Object.keys(DEVICE_ERROR_CODES).map((code) => (
            <option key={code} value={code} />
          ))}
        </datalist>
      </div>
      <ErrorNotice error={error} />
      {data === null ? (
        <p class="muted">{error === null ? 'Loading…' : ''}</p>
      ) : data.items.length === 0 ? (
        <p>No devices match.</p>
      ) : (
        <DataTable label="Devices" class="devices" columns={columns(rolloutId, waves)} rows={data.items} rowKey={(row) => row.deviceId} />
      )}
      <Pager label="Device" pages={pages} next={data?.continuationToken ?? null} onChange={setPages} />
    </section>
  );
}
