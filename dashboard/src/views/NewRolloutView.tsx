import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/apiClient';
import { useApi } from '../api/apiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { fieldAttributes, FormField } from '../components/FormField';
import { placeProblems, type PlacedProblems } from '../model/formProblems';
import { emptyForm, rolloutRequestBody, type RolloutFormValues } from '../model/rolloutForm';
import { hrefs } from '../model/routes';

type TextField = { [K in keyof RolloutFormValues]: RolloutFormValues[K] extends string ? K : never }[keyof RolloutFormValues];

/** The paths of the inputs the form has now, in the order they appear. */
function inputPaths(values: RolloutFormValues): Set<string> {
  return new Set([
    'firmware.version',
    'firmware.uri',
    'firmware.sha256',
    'firmware.size',
    values.targetKind === 'query' ? 'target.query' : 'target.deviceIds',
    ...values.waves.flatMap((_, index) => [`waves[${index}].name`, `waves[${index}].percent`]),
    'maxConcurrency',
    'failureThreshold.percent',
    'failureThreshold.minDevices',
    'failureThreshold.action',
    'approval',
    ...(values.approval === 'manual' ? ['approval.timeoutMinutes', 'approval.onTimeout'] : []),
    'soakSeconds',
    'schedule.startAt',
    'schedule.windows[0].days',
    'schedule.windows[0].from',
    'schedule.windows[0].to',
    'schedule.windows[0].timeZone',
  ]);
}

const NO_PROBLEMS: PlacedProblems = { byField: new Map(), unplaced: [] };

/** The start form: the API validates it, and its problems are shown next to the fields they name. */
export function NewRolloutView() {
  const api = useApi();
  const [values, setValues] = useState(emptyForm);
  const [problems, setProblems] = useState(NO_PROBLEMS);
  const [failure, setFailure] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const nextWaveKey = useRef(1);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  // After a rejected submit: focus the first field with a problem, or the summary if none is placed.
  useEffect(() => {
    if (problems === NO_PROBLEMS) return;
    const first = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (first ?? summaryRef.current)?.focus();
  }, [problems]);

  const set = <K extends keyof RolloutFormValues>(name: K, value: RolloutFormValues[K]) => setValues((v) => ({ ...v, [name]: value }));
  const text = (name: TextField) => ({
    value: values[name],
    onInput: (event: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) => set(name, event.currentTarget.value),
  });
  const setWave = (key: number, change: { name?: string; percent?: string }) =>
    set(
      'waves',
      values.waves.map((wave) => (wave.key === key ? { ...wave, ...change } : wave)),
    );
  const at = (path: string) => problems.byField.get(path);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSubmitting(true);
    setFailure(null);
    try {
      const started = await api.startRollout(rolloutRequestBody(values));
      location.hash = hrefs.rollout(started.id);
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) setProblems(placeProblems(error.problems, inputPaths(values)));
      else {
        setProblems(NO_PROBLEMS);
        setFailure(error);
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <>
      <h1>Start a rollout</h1>
      {problems.unplaced.length === 0 && problems.byField.size === 0 ? null : (
        <div class="problem-summary" ref={summaryRef} tabIndex={-1} role="alert">
          <p>The API did not accept the rollout; see the fields marked below.</p>
          {problems.unplaced.length === 0 ? null : (
            <ul>
              {problems.unplaced.map((problem) => (
                <li key={`${problem.field}: ${problem.message}`}>
                  <code>{problem.field}</code> {problem.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <ErrorNotice error={failure} />
      <form ref={formRef} class="rollout-form" noValidate onSubmit={(event) => void submit(event)}>
        <fieldset>
          <legend>Firmware</legend>
          <FormField path="firmware.version" label="Version" problems={at('firmware.version')}>
            <input {...fieldAttributes('firmware.version', at('firmware.version'))} {...text('version')} autoComplete="off" />
          </FormField>
          <FormField path="firmware.uri" label="Image URI" problems={at('firmware.uri')}>
            <input {...fieldAttributes('firmware.uri', at('firmware.uri'))} {...text('uri')} type="url" />
          </FormField>
          <FormField path="firmware.sha256" label="SHA-256" hint="64 hexadecimal digits" problems={at('firmware.sha256')}>
            <input
              {...fieldAttributes('firmware.sha256', at('firmware.sha256'))}
              {...text('sha256')}
              autoComplete="off"
              spellcheck={false}
            />
          </FormField>
          <FormField path="firmware.size" label="Size (bytes)" problems={at('firmware.size')}>
            <input {...fieldAttributes('firmware.size', at('firmware.size'))} {...text('size')} inputMode="numeric" />
          </FormField>
        </fieldset>

        <fieldset>
          <legend>Target</legend>
          <div class="choice">
            {(['query', 'deviceIds'] as const).map((kind) => (
              <label key={kind}>
                <input type="radio" name="targetKind" checked={values.targetKind === kind} onChange={() => set('targetKind', kind)} />
                {kind === 'query' ? ' Twin query' : ' Device ids'}
              </label>
            ))}
          </div>
          {values.targetKind === 'query' ? (
            <FormField path="target.query" label="Twin query condition" hint="The WHERE clause without WHERE" problems={at('target.query')}>
              <input {...fieldAttributes('target.query', at('target.query'))} {...text('query')} placeholder="tags.fleet = 'demo'" />
            </FormField>
          ) : (
            <FormField path="target.deviceIds" label="Device ids, one per line" problems={at('target.deviceIds')}>
              <textarea {...fieldAttributes('target.deviceIds', at('target.deviceIds'))} {...text('deviceIds')} rows={5} />
            </FormField>
          )}
        </fieldset>

        <fieldset>
          <legend>Waves</legend>
          <p class="hint">Percents are cumulative: each wave reaches that share of the targets; the last is 100.</p>
          <ol class="wave-rows">
            {values.waves.map((wave, index) => (
              <li key={wave.key} class="wave-row">
                <FormField path={`waves[${index}].name`} label={`Wave ${index + 1} name`} problems={at(`waves[${index}].name`)}>
                  <input
                    {...fieldAttributes(`waves[${index}].name`, at(`waves[${index}].name`))}
                    value={wave.name}
                    placeholder={`wave-${index + 1}`}
                    onInput={(event) => setWave(wave.key, { name: event.currentTarget.value })}
                  />
                </FormField>
                <FormField path={`waves[${index}].percent`} label={`Wave ${index + 1} percent`} problems={at(`waves[${index}].percent`)}>
                  <input
                    {...fieldAttributes(`waves[${index}].percent`, at(`waves[${index}].percent`))}
                    value={wave.percent}
                    inputMode="decimal"
                    onInput={(event) => setWave(wave.key, { percent: event.currentTarget.value })}
                  />
                </FormField>
                <button
                  type="button"
                  class="remove"
                  disabled={values.waves.length === 1}
                  aria-label={`Remove wave ${index + 1}`}
                  onClick={() =>
                    set(
                      'waves',
                      values.waves.filter((row) => row.key !== wave.key),
                    )
                  }
                >
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => set('waves', [...values.waves, { key: nextWaveKey.current++, name: '', percent: '' }])}>
            Add a wave
          </button>
        </fieldset>

        <fieldset>
          <legend>Pace and safety</legend>
          <FormField path="maxConcurrency" label="Max concurrency" hint="Default 50" problems={at('maxConcurrency')}>
            <input {...fieldAttributes('maxConcurrency', at('maxConcurrency'))} {...text('maxConcurrency')} inputMode="numeric" />
          </FormField>
          <FormField
            path="failureThreshold.percent"
            label="Failure threshold (%)"
            hint="Default 10"
            problems={at('failureThreshold.percent')}
          >
            <input
              {...fieldAttributes('failureThreshold.percent', at('failureThreshold.percent'))}
              {...text('thresholdPercent')}
              inputMode="decimal"
            />
          </FormField>
          <FormField
            path="failureThreshold.minDevices"
            label="Judged from (finished devices)"
            hint="Default 5"
            problems={at('failureThreshold.minDevices')}
          >
            <input
              {...fieldAttributes('failureThreshold.minDevices', at('failureThreshold.minDevices'))}
              {...text('minDevices')}
              inputMode="numeric"
            />
          </FormField>
          <FormField path="failureThreshold.action" label="When it trips" problems={at('failureThreshold.action')}>
            <select
              {...fieldAttributes('failureThreshold.action', at('failureThreshold.action'))}
              value={values.action}
              onChange={(event) => set('action', event.currentTarget.value as RolloutFormValues['action'])}
            >
              <option value="">default (pause)</option>
              <option value="pause">pause</option>
              <option value="abort">abort</option>
            </select>
          </FormField>
          <FormField path="approval" label="Next waves start" problems={at('approval')}>
            <select
              {...fieldAttributes('approval', at('approval'))}
              value={values.approval}
              onChange={(event) => set('approval', event.currentTarget.value as RolloutFormValues['approval'])}
            >
              <option value="auto">automatically</option>
              <option value="manual">when approved</option>
            </select>
          </FormField>
          {values.approval === 'manual' ? (
            <>
              <FormField
                path="approval.timeoutMinutes"
                label="Approval timeout (minutes)"
                hint="Blank: wait for as long as it takes"
                problems={at('approval.timeoutMinutes')}
              >
                <input
                  {...fieldAttributes('approval.timeoutMinutes', at('approval.timeoutMinutes'))}
                  {...text('approvalTimeoutMinutes')}
                  inputMode="decimal"
                />
              </FormField>
              <FormField path="approval.onTimeout" label="When nobody approves in time" problems={at('approval.onTimeout')}>
                <select
                  {...fieldAttributes('approval.onTimeout', at('approval.onTimeout'))}
                  value={values.onTimeout}
                  onChange={(event) => set('onTimeout', event.currentTarget.value as RolloutFormValues['onTimeout'])}
                >
                  <option value="">(choose, with a timeout)</option>
                  <option value="pause">pause the rollout</option>
                  <option value="cancel">cancel the rollout</option>
                  <option value="approve">approve the wave</option>
                </select>
              </FormField>
            </>
          ) : null}
          <FormField path="soakSeconds" label="Soak between waves (seconds)" hint="Default 0" problems={at('soakSeconds')}>
            <input {...fieldAttributes('soakSeconds', at('soakSeconds'))} {...text('soakSeconds')} inputMode="numeric" />
          </FormField>
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          <FormField path="schedule.startAt" label="Start at" hint="ISO 8601 with an offset; blank: now" problems={at('schedule.startAt')}>
            <input
              {...fieldAttributes('schedule.startAt', at('schedule.startAt'))}
              {...text('startAt')}
              placeholder="2026-12-24T22:00:00+01:00"
              autoComplete="off"
            />
          </FormField>
          <FormField
            path="schedule.windows[0].days"
            label="Maintenance window days"
            hint="e.g. sat, sun; blank: devices start at any time"
            problems={at('schedule.windows[0].days')}
          >
            <input {...fieldAttributes('schedule.windows[0].days', at('schedule.windows[0].days'))} {...text('windowDays')} />
          </FormField>
          <FormField path="schedule.windows[0].from" label="Window from" hint="HH:MM" problems={at('schedule.windows[0].from')}>
            <input {...fieldAttributes('schedule.windows[0].from', at('schedule.windows[0].from'))} {...text('windowFrom')} />
          </FormField>
          <FormField
            path="schedule.windows[0].to"
            label="Window to"
            hint="HH:MM; earlier than from: the next day"
            problems={at('schedule.windows[0].to')}
          >
            <input {...fieldAttributes('schedule.windows[0].to', at('schedule.windows[0].to'))} {...text('windowTo')} />
          </FormField>
          <FormField
            path="schedule.windows[0].timeZone"
            label="Window time zone"
            hint="IANA, e.g. Europe/Berlin"
            problems={at('schedule.windows[0].timeZone')}
          >
            <input
              {...fieldAttributes('schedule.windows[0].timeZone', at('schedule.windows[0].timeZone'))}
              {...text('windowTimeZone')}
              autoComplete="off"
            />
          </FormField>
        </fieldset>

        <button type="submit" class="primary" disabled={submitting}>
          {submitting ? 'Starting…' : 'Start the rollout'}
        </button>
      </form>
    </>
  );
}
