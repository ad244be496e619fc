/**
 * The start form's values (as typed, all text) and the POST /api/rollouts body they make. The API
 * is the one validator: what cannot be a number goes as typed, so its message names the problem;
 * blank optional fields are left out so its defaults apply.
 */
export interface WaveRow {
  /** Identifies the row across re-renders while rows are added and removed. */
  key: number;
  name: string;
  percent: string;
}

export interface RolloutFormValues {
  version: string;
  uri: string;
  sha256: string;
  size: string;
  targetKind: 'query' | 'deviceIds';
  query: string;
  deviceIds: string;
  waves: WaveRow[];
  maxConcurrency: string;
  thresholdPercent: string;
  minDevices: string;
  action: '' | 'pause' | 'abort';
  approval: 'auto' | 'manual';
  soakSeconds: string;
}

export function emptyForm(): RolloutFormValues {
  return {
    version: '',
    uri: '',
    sha256: '',
    size: '',
    targetKind: 'query',
    query: '',
    deviceIds: '',
    waves: [{ key: 0, name: '', percent: '100' }],
    maxConcurrency: '',
    thresholdPercent: '',
    minDevices: '',
    action: '',
    approval: 'auto',
    soakSeconds: '',
  };
}

/** A number when the text is one, else the text itself (trimmed) for the API to reject by name. */
function numeric(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

/** Only the fields that were filled in. */
function filled(fields: Record<string, string>): Record<string, number | string> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, text]) => text.trim() !== '')
      .map(([name, text]) => [name, numeric(text)]),
  );
}

export function rolloutRequestBody(values: RolloutFormValues): Record<string, unknown> {
  const threshold = {
    ...filled({ percent: values.thresholdPercent, minDevices: values.minDevices }),
    ...(values.action === '' ? {} : { action: values.action }),
  };
  return {
    firmware: { version: values.version.trim(), uri: values.uri.trim(), sha256: values.sha256.trim(), size: numeric(values.size) },
    target:
      values.targetKind === 'query'
        ? { query: values.query }
        : {
            deviceIds: values.deviceIds
              .split('\n')
              .map((line) => line.trim())
              .filter((line) => line !== ''),
          },
    waves: values.waves.map((wave) => ({ ...(wave.name.trim() === '' ? {} : { name: wave.name.trim() }), percent: numeric(wave.percent) })),
    ...filled({ maxConcurrency: values.maxConcurrency, soakSeconds: values.soakSeconds }),
    ...(Object.keys(threshold).length === 0 ? {} : { failureThreshold: threshold }),
    approval: values.approval,
  };
}
