import fc from 'fast-check';

export const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

export interface RequestBody {
  firmware: Record<string, unknown>;
  target: Record<string, unknown>;
  [field: string]: unknown;
}

/** A minimal valid POST /api/rollouts body. */
export function validBody(): RequestBody {
  return {
    firmware: { version: '2.1.0', uri: 'https://fw.example.com/thermo-x/2.1.0.bin', sha256: SHA256, size: 1_048_576 },
    target: { query: "tags.model = 'thermo-x'" },
  };
}

/** A valid body changed by `mutate`. */
export function bodyWith(mutate: (body: RequestBody) => void): RequestBody {
  const body = validBody();
  mutate(body);
  return body;
}

const DEVICE_ID_CHARACTERS = "ABCXYZabcxyz0189-.+%_#*?!(),:=@$'";
export const deviceIdArb = fc.string({ unit: fc.constantFrom(...DEVICE_ID_CHARACTERS), minLength: 1, maxLength: 128 });
export const rolloutIdArb = fc
  .tuple(fc.constantFrom(...'aZ09'), fc.string({ unit: fc.constantFrom(...'aZ09._-'), maxLength: 63 }))
  .map(([first, rest]) => first + rest);

/** Cumulative percents (0.01 resolution), strictly increasing, ending at 100. */
export const wavePercentsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 9_999 }), { maxLength: 6 })
  .map((points) => [...points.sort((a, b) => a - b), 10_000].map((bp) => bp / 100));

const wavesArb = fc
  .tuple(wavePercentsArb, fc.boolean())
  .map(([percents, named]) => percents.map((percent, index) => (named ? { name: `ring ${index}`, percent } : { percent })));

/** Arbitrary valid request bodies, optional fields present or not. */
export const validRequestArb = fc.record(
  {
    rolloutId: rolloutIdArb,
    firmware: fc.record({
      version: fc.string({ unit: fc.constantFrom(...'0123456789.abc-+'), minLength: 1, maxLength: 64 }),
      uri: fc.webUrl({ validSchemes: ['https'] }).filter((uri) => !uri.includes('@')),
      sha256: fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 }),
      size: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    }),
    target: fc.oneof(
      fc
        .constantFrom("tags.model = 'thermo-x'", "properties.reported.firmware.currentFwVersion != '2.1.0' AND tags.ring IN ['a', 'b']")
        .map((query) => ({ query })),
      fc.uniqueArray(deviceIdArb, { minLength: 1, maxLength: 20 }).map((deviceIds) => ({ deviceIds })),
    ),
    waves: wavesArb,
    maxConcurrency: fc.integer({ min: 1, max: 1000 }),
    failureThreshold: fc.record(
      {
        percent: fc.integer({ min: 0, max: 10_000 }).map((bp) => bp / 100),
        minDevices: fc.integer({ min: 1, max: 100_000 }),
        action: fc.constantFrom('pause', 'abort'),
      },
      { requiredKeys: ['percent'] },
    ),
    approval: fc.oneof(
      fc.constantFrom('auto', 'manual', { mode: 'auto' }, { mode: 'manual' }),
      fc.record({
        mode: fc.constant('manual'),
        timeoutMinutes: fc.double({ min: 0.01, max: 43_200, noNaN: true }),
        onTimeout: fc.constantFrom('cancel', 'approve', 'pause'),
      }),
    ),
    soakSeconds: fc.integer({ min: 0, max: 86_400 }),
    deviceTimeouts: fc.record(
      {
        methodSeconds: fc.integer({ min: 5, max: 300 }),
        offlineRetryMinutes: fc.double({ min: 0.5, max: 10_080, noNaN: true }),
        downloadMinutes: fc.integer({ min: 1, max: 1440 }),
        applyMinutes: fc.double({ min: 0.1, max: 1440, noNaN: true }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['firmware', 'target'] },
);
