import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControlEntity';
import { rolloutLedgerEntity } from '../../../functions/src/entities/rolloutLedgerEntity';
import { controlHandler } from '../../../functions/src/http/control';
import { createRollout, getRollout } from '../../../functions/src/http/rollouts';
import type { RolloutView } from '../../../functions/src/http/rollouts';
import { rolloutPolicy } from '../../../functions/src/rollout';
import type { ControlOperation, LedgerPlan, RolloutSpec } from '../../../functions/src/rollout';
import { FIRMWARE } from './fixtures';
import { TinyDurableApi } from './tinyDurableApi';

const BASE_URL = 'https://fleet.example.com/api/rollouts';

/**
 * The rollout API's handlers on a task hub of their own (control and ledger entities, instances
 * added by hand), emptied before each test: GET the rollout r1, POST a command on it, POST a rollout;
 * `started` puts r1 in the task hub (its orchestration's input) and `planned` also plans it (one wave of 2).
 * Call it at the top of a test file; the caller mocks @azure/functions-core first.
 */
export function rolloutHttpBed() {
  const api = new TinyDurableApi().entity('rolloutControl', rolloutControlEntity).entity('rolloutLedger', rolloutLedgerEntity);
  beforeAll(() => api.start());
  afterAll(() => api.stop());
  beforeEach(() => {
    api.instances.clear();
    api.entities.clear();
  });
  const view = async (): Promise<RolloutView> =>
    (await getRollout(new HttpRequest({ method: 'GET', url: `${BASE_URL}/r1`, params: { id: 'r1' } }), api.context()))
      .jsonBody as RolloutView;
  const post = (operation: ControlOperation): Promise<HttpResponseInit> =>
    controlHandler(operation)(new HttpRequest({ method: 'POST', url: `${BASE_URL}/r1/${operation}`, params: { id: 'r1' } }), api.context());
  const create = (body: unknown): Promise<HttpResponseInit> =>
    createRollout(new HttpRequest({ method: 'POST', url: BASE_URL, body: { string: JSON.stringify(body) } }), api.context('createRollout'));
  const started = (spec: RolloutSpec, createdAt: string): void => {
    api.addInstance({ name: 'rollout', instanceId: 'r1', input: { rolloutId: 'r1', spec, specHash: 'h', createdAt } });
  };
  const planned = async (spec: RolloutSpec, at: string): Promise<void> => {
    started(spec, at);
    const plan: LedgerPlan = {
      rolloutId: 'r1',
      firmware: FIRMWARE,
      createdAt: at,
      shardCount: 1,
      waves: [{ index: 0, name: 'wave-1', percent: 100, targeted: 2 }],
      skipped: 0,
      policy: rolloutPolicy(spec),
    };
    await api.signal('rolloutLedger', 'r1', 'plan', { plan, at });
  };
  return { api, view, post, create, started, planned };
}
