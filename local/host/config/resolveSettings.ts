import type { RegisteredBinding } from '../worker/coreTypes';

/** Binding keys the host owns; everything else that is a string may reference app settings. */
const NOT_RESOLVED = new Set(['name', 'type', 'direction', 'dataType']);

/** `%NAME%` → the app setting (environment variable) NAME; `%%` is a literal percent sign. */
export function resolveSettingReferences(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%%|%([^%\s]+)%/g, (_match, name: string | undefined) => {
    if (name === undefined) return '%';
    const setting = env[name];
    if (setting === undefined) throw new Error(`'%${name}%' does not resolve to a value: no app setting or environment variable ${name}.`);
    return setting;
  });
}

/** A copy of the binding with its setting references resolved; the error names the property. */
export function resolveBinding(binding: RegisteredBinding, env: NodeJS.ProcessEnv = process.env): RegisteredBinding {
  const resolved: RegisteredBinding = { ...binding };
  for (const [key, value] of Object.entries(binding)) {
    if (typeof value !== 'string' || NOT_RESOLVED.has(key)) continue;
    try {
      resolved[key] = resolveSettingReferences(value, env);
    } catch (error) {
      throw new Error(`property '${key}': ${(error as Error).message}`);
    }
  }
  return resolved;
}

/** The value of the app setting a binding's `connection` names (connections are names, not %refs%). */
export function connectionSetting(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const direct = env[name] ?? env[`CUSTOMCONNSTR_${name}`] ?? env[`ConnectionStrings:${name}`];
  if (direct === undefined || direct === '')
    throw new Error(`the connection setting '${name}' is not defined (app setting or environment variable).`);
  return direct;
}
