/** The triggers this host can run, by the binding type the app registers. */
export type TriggerKind = 'http' | 'eventHub' | 'timer' | 'orchestration' | 'activity' | 'entity';

const TRIGGER_KINDS: Record<string, TriggerKind> = {
  httptrigger: 'http',
  eventhubtrigger: 'eventHub',
  timertrigger: 'timer',
  orchestrationtrigger: 'orchestration',
  activitytrigger: 'activity',
  entitytrigger: 'entity',
};

/** Binding types (other than triggers) the host fills in or reads back. */
const SUPPORTED_INPUTS = new Set(['durableclient', 'orchestrationclient']);
const SUPPORTED_OUTPUTS_BY_TRIGGER: Partial<Record<TriggerKind, Set<string>>> = { http: new Set(['http']) };

export function triggerKindOf(bindingType: string): TriggerKind | undefined {
  return TRIGGER_KINDS[bindingType.toLowerCase()];
}

export function isTriggerType(bindingType: string): boolean {
  return /trigger$/i.test(bindingType);
}

export function isSupportedInput(bindingType: string): boolean {
  return SUPPORTED_INPUTS.has(bindingType.toLowerCase());
}

export function isSupportedOutput(trigger: TriggerKind, bindingType: string): boolean {
  return SUPPORTED_OUTPUTS_BY_TRIGGER[trigger]?.has(bindingType.toLowerCase()) ?? false;
}
