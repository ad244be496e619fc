/**
 * Entity rolloutControl@<rolloutId>: the rollout's control register (rollout/rolloutControl.ts).
 * Written by the HTTP API (operator commands) and the rollout orchestration (its phase); read by
 * the rollout, wave and batch orchestrations (callEntity get) and the HTTP API.
 */
import * as df from 'durable-functions';
import {
  APPROVAL_TIMEOUT_ACTIONS,
  CONTROL_OPERATIONS,
  ROLLOUT_STATES,
  applyApprovalTimeout,
  applyCommand,
  applyRetry,
  describeSelection,
  initialControlState,
  isRetryOperation,
  reportPhase,
} from '../rollout';
import type { ControlOperation, RolloutControlState, RolloutState } from '../rollout';
import { ENTITY } from './contracts';
import type { EntityOperations } from './contracts';
import { isRecord } from '../../../contracts/guards';
import { entityHandler } from './entityState';

export const rolloutControlEntity = entityHandler<RolloutControlState>(initialControlState, {
  get: (state) => ({ result: state }),
  command: (state, input) => {
    if (!isRecord(input) || !(CONTROL_OPERATIONS as readonly unknown[]).includes(input.operation) || typeof input.at !== 'string')
      return {};
    const command = input as unknown as EntityOperations['rolloutControl']['command'];
    return { state: applyCommand(state, command.operation as ControlOperation, command.at) };
  },
  phase: (state, input) => {
    if (!isRecord(input) || !(ROLLOUT_STATES as readonly unknown[]).includes(input.phase) || typeof input.at !== 'string') return {};
    const report = input as unknown as EntityOperations['rolloutControl']['phase'];
    const wave = typeof report.wave === 'number' ? report.wave : null;
    return {
      state: reportPhase(
        state,
        {
          phase: report.phase as RolloutState,
          wave,
          ...(report.pausedBy === 'threshold' ? { pausedBy: 'threshold' } : {}),
          ...(typeof report.approvalDeadline === 'string' ? { approvalDeadline: report.approvalDeadline } : {}),
          ...(typeof report.nextWindowAt === 'string' ? { nextWindowAt: report.nextWindowAt } : {}),
          ...(typeof report.nextRescanAt === 'string' ? { nextRescanAt: report.nextRescanAt } : {}),
        },
        report.at,
      ),
    };
  },
  approvalTimeout: (state, input) => {
    if (
      !isRecord(input) ||
      typeof input.wave !== 'number' ||
      !(APPROVAL_TIMEOUT_ACTIONS as readonly unknown[]).includes(input.action) ||
      typeof input.minutes !== 'number' ||
      typeof input.at !== 'string'
    )
      return { result: state };
    const timeout = input as unknown as EntityOperations['rolloutControl']['approvalTimeout'];
    const next = applyApprovalTimeout(state, timeout, timeout.at);
    return { state: next, result: next };
  },
  retry: (state, input) => {
    if (!isRetryOperation(input)) return {};
    const detail = `attempt ${input.attempt}: retrying ${describeSelection(input.selection)}`;
    return { state: applyRetry(state, input.attempt, detail, input.at) };
  },
});

df.app.entity(ENTITY.control, rolloutControlEntity);
