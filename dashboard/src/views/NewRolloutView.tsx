import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/apiClient';
import { useApi } from '../api/apiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { fieldAttributes, FormField } from '../components/FormField';
import { placeProblems, type PlacedProblems } from '../model/formProblems';
import { emptyForm, rolloutRequestBody, type RolloutFormValues } from '../model/rolloutForm';
import { hrefs } from '../model/routes';

/** What a text input may add: the hints browsers and on-screen keyboards use. */
type InputProps = { inputMode?: 'numeric' | 'decimal' | 'url'; placeholder?: string; autoComplete?: 'off'; spellcheck?: boolean };

type TextName = { [K in keyof RolloutFormValues]: RolloutFormValues[K] extends string ? K : never }[keyof RolloutFormValues];

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
  const text = (name: TextName) => ({
    value: values[name],
    onInput: (event: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) => set(name, event.currentTarget.value),
  });
  const setWave = (key: number, change: { name?: string; percent?: string }) =>
    set(
      'waves',
      values.waves.map((wave) => (wave.key === key ? { ...wave, ...change } : wave)),
    );
  const at = (path: string) => problems.byField.get(path);
  /** A text input with its label, hint and the API's problems, named by its path in the request. */
  const textField = ({
    path,
    label,
    value,
    hint,
    ...input
  }: { path: string; label: string; value: TextName; hint?: string } & InputProps) => (
    <FormField path={path} label={label} hint={hint} problems={at(path)}>
      <input {...fieldAttributes(path, at(path))} {...text(value)} {...input} />
    </FormField>
  );

  /** A choice among `options` ([value, text]) with its label and the API's problems, named by its path in the request. */
  const selectField = <K extends TextName>(props: {
    path: string;
    label: string;
    value: K;
    options: readonly (readonly [RolloutFormValues[K], string])[];
  }) => (
    <FormField path={props.path} label={props.label} problems={at(props.path)}>
      <select
        {...fieldAttributes(props.path, at(props.path))}
        value={values[props.value]}
        onChange={(event) => set(props.value, event.currentTarget.value as RolloutFormValues[K])}
      >
        {props.options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
    </FormField>
  );

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
          {textField({ path: 'firmware.version', label: 'Version', value: 'version', autoComplete: 'off' })}
          {textField({ path: 'firmware.uri', label: 'Image URI', value: 'uri', inputMode: 'url' })}
          {textField({
            path: 'firmware.sha256',
            label: 'SHA-256',
            value: 'sha256',
            hint: '64 hexadecimal digits',
            autoComplete: 'off',
            spellcheck: false,
          })}
          {textField({ path: 'firmware.size', label: 'Size (bytes)', value: 'size', inputMode: 'numeric' })}
          <FormField
            path="firmware.manifest"
            label="Signed manifest"
            problems={at('firmware.manifest')}
            hint="The contents of firmware-<version>.manifest.jws (fleetwave firmware sign); blank: unsigned"
          >
            <textarea
              {...fieldAttributes('firmware.manifest', at('firmware.manifest'))}
              {...text('manifest')}
              rows={3}
              spellcheck={false}
            />
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
            textField({
              path: 'target.query',
              label: 'Twin query condition',
              value: 'query',
              hint: 'The WHERE clause without WHERE',
              placeholder: "tags.fleet = 'demo'",
            })
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
          {textField({
            path: 'maxConcurrency',
            label: 'Max concurrency',
            value: 'maxConcurrency',
            hint: 'Default 50',
            inputMode: 'numeric',
          })}
          {textField({
            path: 'failureThreshold.percent',
            label: 'Failure threshold (%)',
            value: 'thresholdPercent',
            hint: 'Default 10',
            inputMode: 'decimal',
          })}
          {textField({
            path: 'failureThreshold.minDevices',
            label: 'Judged from (finished devices)',
            value: 'minDevices',
            hint: 'Default 5',
            inputMode: 'numeric',
          })}
          {selectField({
            path: 'failureThreshold.action',
            label: 'When it trips',
            value: 'action',
            options: [
              ['', 'default (pause)'],
              ['pause', 'pause'],
              ['abort', 'abort'],
            ],
          })}
          {selectField({
            path: 'approval',
            label: 'Next waves start',
            value: 'approval',
            options: [
              ['auto', 'automatically'],
              ['manual', 'when approved'],
            ],
          })}
          {values.approval === 'manual' ? (
            <>
              {textField({
                path: 'approval.timeoutMinutes',
                label: 'Approval timeout (minutes)',
                value: 'approvalTimeoutMinutes',
                hint: 'Blank: wait for as long as it takes',
                inputMode: 'decimal',
              })}
              {selectField({
                path: 'approval.onTimeout',
                label: 'When nobody approves in time',
                value: 'onTimeout',
                options: [
                  ['', '(choose, with a timeout)'],
                  ['pause', 'pause the rollout'],
                  ['cancel', 'cancel the rollout'],
                  ['approve', 'approve the wave'],
                ],
              })}
            </>
          ) : null}
          {textField({
            path: 'soakSeconds',
            label: 'Soak between waves (seconds)',
            value: 'soakSeconds',
            hint: 'Default 0',
            inputMode: 'numeric',
          })}
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          {textField({
            path: 'schedule.startAt',
            label: 'Start at',
            value: 'startAt',
            hint: 'ISO 8601 with an offset; blank: now',
            placeholder: '2026-12-24T22:00:00+01:00',
            autoComplete: 'off',
          })}
          {textField({
            path: 'schedule.windows[0].days',
            label: 'Maintenance window days',
            value: 'windowDays',
            hint: 'e.g. sat, sun; blank: devices start at any time',
          })}
          {textField({ path: 'schedule.windows[0].from', label: 'Window from', value: 'windowFrom', hint: 'HH:MM' })}
          {textField({
            path: 'schedule.windows[0].to',
            label: 'Window to',
            value: 'windowTo',
            hint: 'HH:MM; earlier than from: the next day',
          })}
          {textField({
            path: 'schedule.windows[0].timeZone',
            label: 'Window time zone',
            value: 'windowTimeZone',
            hint: 'IANA, e.g. Europe/Berlin',
            autoComplete: 'off',
          })}
        </fieldset>

        <fieldset>
          <legend>Install and mode</legend>
          {selectField({
            path: 'stageThenApply',
            label: 'Devices install',
            value: 'install',
            options: [
              ['immediate', 'right after their download'],
              ['staged', 'when their wave is staged'],
            ],
          })}
          {values.install === 'staged' ? (
            <>
              {textField({
                path: 'stageThenApply.stagedPercent',
                label: 'Apply when staged (% of the wave)',
                value: 'stagedPercent',
                hint: 'Default 100',
                inputMode: 'decimal',
              })}
              {textField({
                path: 'stageThenApply.deadlineMinutes',
                label: 'Staging deadline (minutes)',
                value: 'stageDeadlineMinutes',
                hint: 'Then the staged devices apply anyway; blank with a blank share: a day',
                inputMode: 'decimal',
              })}
            </>
          ) : null}
          {selectField({
            path: 'mode',
            label: 'Devices that match the target later',
            value: 'mode',
            options: [
              ['once', 'are left out'],
              ['continuous', 'are updated too (continuous)'],
            ],
          })}
          {values.mode === 'continuous' ? (
            <>
              {textField({
                path: 'continuous.rescanMinutes',
                label: 'Look for new devices every (minutes)',
                value: 'rescanMinutes',
                hint: 'Default 15',
                inputMode: 'decimal',
              })}
              {textField({
                path: 'continuous.until',
                label: 'Until',
                value: 'until',
                hint: 'ISO 8601 with an offset; blank: until canceled',
                autoComplete: 'off',
              })}
            </>
          ) : null}
        </fieldset>

        <button type="submit" class="primary" disabled={submitting}>
          {submitting ? 'Starting…' : 'Start the rollout'}
        </button>
      </form>
    </>
  );
}
