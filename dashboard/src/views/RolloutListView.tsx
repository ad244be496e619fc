import { useState } from 'preact/hooks';
import { useApi } from '../api/apiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Pager } from '../components/Pager';
import { StateBar, StateLegend } from '../components/StateBar';
import { usePolling } from '../hooks/usePolling';
import { ROLLOUT_STATES, type RolloutState, type RolloutView } from '../../../contracts/rolloutApi';
import { finishedCount, rolloutStateLabel } from '../model/deviceStates';
import { formatTime } from '../model/format';
import { hrefs } from '../model/routes';
import { currentToken, FIRST_PAGE } from '../model/tokenStack';
import { DataTable, type Column } from '../components/DataTable';

const COLUMNS: Column<RolloutView>[] = [
  { header: 'Rollout', rowHeader: true, cell: (rollout) => <a href={hrefs.rollout(rollout.id)}>{rollout.id}</a> },
  {
    header: 'State',
    cell: (rollout) => <span class={`badge rollout-${rollout.state}`}>{rolloutStateLabel(rollout.state)}</span>,
  },
  { header: 'Firmware', cell: (rollout) => rollout.firmware.version },
  {
    header: 'Progress',
    cell: (rollout) => (
      <div class="progress-cell">
        <StateBar counts={{ ...rollout.totals, inProgressBy: rollout.inProgressBy }} compact />
        <span class="count">
          {finishedCount(rollout.totals)}/{rollout.totals.targeted}
        </span>
      </div>
    ),
  },
  { header: 'Created', cell: (rollout) => formatTime(rollout.createdAt), class: 'time' },
];

const PAGE_SIZE = 25;

/** Every rollout, newest first, a page at a time. */
export function RolloutListView() {
  const api = useApi();
  const [state, setState] = useState<RolloutState | null>(null);
  const [pages, setPages] = useState(FIRST_PAGE);
  const token = currentToken(pages);
  const { data, error } = usePolling(() => api.listRollouts({ top: PAGE_SIZE, continuationToken: token, state }), 2000, [state, token]);

  return (
    <>
      <h1>Rollouts</h1>
      <div class="toolbar">
        <label for="rollout-state-filter">State</label>
        <select
          id="rollout-state-filter"
          value={state ?? ''}
          onChange={(event) => {
            const value = event.currentTarget.value;
            setState(value === '' ? null : (value as RolloutState));
            setPages(FIRST_PAGE);
          }}
        >
          <option value="">any</option>
          {ROLLOUT_STATES.map((name) => (
            <option key={name} value={name}>
              {rolloutStateLabel(name)}
            </option>
          ))}
        </select>
        <a class="button" href={hrefs.new}>
          Start a rollout
        </a>
      </div>
      <ErrorNotice error={error} />
      {data === null ? (
        <p class="muted">{error === null ? 'Loading…' : ''}</p>
      ) : data.items.length === 0 ? (
        <p>{state === null ? 'No rollouts yet.' : `No ${rolloutStateLabel(state)} rollouts.`}</p>
      ) : (
        <>
          <DataTable label="Rollouts, newest first" columns={COLUMNS} rows={data.items} rowKey={(rollout) => rollout.id} />
          <StateLegend />
        </>
      )}
      <Pager label="Rollout" pages={pages} next={data?.continuationToken ?? null} onChange={setPages} />
    </>
  );
}
