import { useState } from 'preact/hooks';
import { useApi } from '../api/apiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Pager } from '../components/Pager';
import { StateBar, StateLegend } from '../components/StateBar';
import { usePolling } from '../hooks/usePolling';
import { ROLLOUT_STATES, type RolloutState } from '../../../contracts/rolloutApi';
import { finishedCount, rolloutStateLabel } from '../model/deviceStates';
import { formatTime } from '../model/format';
import { hrefs } from '../model/routes';
import { currentToken, FIRST_PAGE, nextPage, pageNumber, previousPage } from '../model/tokenStack';
import { TableScroll } from '../components/TableScroll';

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
          <TableScroll label="Rollouts table">
            <table>
              <caption class="visually-hidden">Rollouts, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Rollout</th>
                  <th scope="col">State</th>
                  <th scope="col">Firmware</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((rollout) => (
                  <tr key={rollout.id}>
                    <th scope="row">
                      <a href={hrefs.rollout(rollout.id)}>{rollout.id}</a>
                    </th>
                    <td>
                      <span class={`badge rollout-${rollout.state}`}>{rolloutStateLabel(rollout.state)}</span>
                    </td>
                    <td>{rollout.firmware.version}</td>
                    <td>
                      <div class="progress-cell">
                        <StateBar counts={{ ...rollout.totals, inProgressBy: rollout.inProgressBy }} compact />
                        <span class="count">
                          {finishedCount(rollout.totals)}/{rollout.totals.targeted}
                        </span>
                      </div>
                    </td>
                    <td class="time">{formatTime(rollout.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <StateLegend />
        </>
      )}
      <Pager
        label="Rollout"
        page={pageNumber(pages)}
        hasPrevious={pageNumber(pages) > 1}
        hasNext={data?.continuationToken != null}
        onPrevious={() => setPages(previousPage(pages))}
        onNext={() => data?.continuationToken != null && setPages(nextPage(pages, data.continuationToken))}
      />
    </>
  );
}
