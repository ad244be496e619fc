import type { DeviceRolloutState, TimelineEntry } from '../../../contracts/rolloutApi';

/** The stages of one device's update, in order; `verdict` is the moment it ended. */
export type Stage = 'accept' | 'waiting' | 'downloading' | 'staged' | 'applying' | 'verdict';
const STAGE_ORDER: readonly Stage[] = ['accept', 'waiting', 'downloading', 'staged', 'applying', 'verdict'];

export interface Phase {
  stage: Stage;
  /** Epoch ms. */
  start: number;
  end: number;
  /** True for the stage the device is still in (it ends at `now`). */
  ongoing: boolean;
  /** For the verdict: the device's final state. */
  verdict?: FinalDeviceState;
}

export type FinalDeviceState = Exclude<DeviceRolloutState, 'pending' | 'inProgress'>;

function isFinalDeviceState(state: DeviceRolloutState): state is FinalDeviceState {
  return state !== 'pending' && state !== 'inProgress';
}

/**
 * The stage an entry moves the device to; null for entries that move it nowhere (planned, notes while
 * pending). `staging`: the rollout stages, then applies, so downloadComplete holds the image until applying.
 */
function stageOf(entry: TimelineEntry, staging: boolean): Stage | null {
  if (isFinalDeviceState(entry.state)) return 'verdict';
  switch (entry.status) {
    case 'waiting':
      return 'waiting';
    case 'downloading':
      return 'downloading';
    case 'downloadComplete':
      return staging ? 'staged' : 'applying';
    case 'applying':
    case 'applyComplete':
      return 'applying';
    default:
      // No status: the rollout's own entry; once accepted, the device is in the accept stage.
      return entry.state === 'inProgress' ? 'accept' : null;
  }
}

/**
 * The timeline as consecutive stages: each starts at the first entry that reaches it and ends
 * where the next begins. Stages only move forward (a late or repeated report does not go back);
 * a device still running has its last stage end at `now`.
 */
export function timelinePhases(timeline: readonly TimelineEntry[], now: number, staging = false): Phase[] {
  const phases: Phase[] = [];
  for (const entry of latestAttempt(timeline)) {
    const stage = stageOf(entry, staging);
    const time = Date.parse(entry.time);
    const current = phases.at(-1);
    if (stage === null || Number.isNaN(time)) continue;
    if (current !== undefined && STAGE_ORDER.indexOf(stage) <= STAGE_ORDER.indexOf(current.stage)) continue;
    if (current !== undefined) current.end = time;
    phases.push({ stage, start: time, end: time, ongoing: false, ...(isFinalDeviceState(entry.state) ? { verdict: entry.state } : {}) });
  }
  const last = phases.at(-1);
  if (last !== undefined && last.stage !== 'verdict') {
    last.end = Math.max(last.start, now);
    last.ongoing = true;
  }
  return phases;
}

/** A retry starts the device over: its stages are those from the entry that put it back to pending for that attempt. */
export function latestAttempt(timeline: readonly TimelineEntry[]): readonly TimelineEntry[] {
  for (let index = timeline.length - 1; index >= 0; index -= 1) if (timeline[index].attempt !== undefined) return timeline.slice(index);
  return timeline;
}

export interface GanttBar extends Phase {
  durationMs: number;
  /** Position and length on the chart, 0-100. */
  offsetPercent: number;
  widthPercent: number;
}

/** Bars proportional to time across the whole span; a zero-length span puts every bar at 0. */
export function ganttBars(phases: readonly Phase[]): GanttBar[] {
  if (phases.length === 0) return [];
  const start = phases[0].start;
  const span = phases.at(-1)!.end - start;
  return phases.map((phase) => ({
    ...phase,
    durationMs: phase.end - phase.start,
    offsetPercent: span === 0 ? 0 : ((phase.start - start) / span) * 100,
    widthPercent: span === 0 ? 0 : ((phase.end - phase.start) / span) * 100,
  }));
}
