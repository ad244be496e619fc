import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const localSettingsSchema = z
  .object({
    IsEncrypted: z.boolean().optional(),
    Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    Host: z
      .object({ LocalHttpPort: z.coerce.number().int().min(0).max(65535).optional() })
      .loose()
      .optional(),
    ConnectionStrings: z.record(z.string(), z.string()).optional(),
  })
  .loose();

export interface LocalSettings {
  values: Record<string, string>;
  localHttpPort?: number;
}

/** Reads DIR/local.settings.json as `func start` does; a missing file is no settings. */
export function readLocalSettings(appDir: string): LocalSettings {
  const file = join(appDir, 'local.settings.json');
  if (!existsSync(file)) return { values: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = localSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.IsEncrypted) throw new Error(`${file} is encrypted; this host reads plain settings only (func settings decrypt).`);
  const values = Object.fromEntries(Object.entries(parsed.data.Values ?? {}).map(([name, value]) => [name, String(value)]));
  return { values, ...(parsed.data.Host?.LocalHttpPort !== undefined ? { localHttpPort: parsed.data.Host.LocalHttpPort } : {}) };
}

/**
 * Puts Values into the environment. As with `func start`, a variable the environment already has
 * wins; the names skipped are returned so the host can say so.
 */
export function applyToEnvironment(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string[] {
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (env[name] !== undefined && env[name] !== value) skipped.push(name);
    else env[name] = value;
  }
  return skipped;
}
