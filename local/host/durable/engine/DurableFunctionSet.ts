import type { HostFunction } from '../../catalog/HostFunction';

/** The app's orchestrators, activities and entities, found by name as the Functions host does (case-insensitively). */
export class DurableFunctionSet {
  private readonly orchestrators = new Map<string, HostFunction>();
  private readonly activities = new Map<string, HostFunction>();
  private readonly entities = new Map<string, HostFunction>();

  constructor(functions: HostFunction[]) {
    for (const fn of functions) {
      const key = fn.name.toLowerCase();
      if (fn.triggerKind === 'orchestration') this.orchestrators.set(key, fn);
      else if (fn.triggerKind === 'activity') this.activities.set(key, fn);
      else if (fn.triggerKind === 'entity') this.entities.set(key, fn);
    }
  }

  get isEmpty(): boolean {
    return this.orchestrators.size + this.activities.size + this.entities.size === 0;
  }

  orchestrator(name: string): HostFunction | undefined {
    return this.orchestrators.get(name.toLowerCase());
  }

  activity(name: string): HostFunction | undefined {
    return this.activities.get(name.toLowerCase());
  }

  entity(name: string): HostFunction | undefined {
    return this.entities.get(name.toLowerCase());
  }
}
