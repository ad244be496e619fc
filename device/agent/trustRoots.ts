import { readFileSync } from 'node:fs';
import { isRecord } from '../../contracts/guards';
import { checkEd25519Jwk, jwkThumbprint } from '../../contracts/signing/ed25519Jwk';
import { parseTrust, type Trust, type TrustRoot } from '../../contracts/signing/trust';

/**
 * The trust the agent pins, from its --trust-root files: each is a roots file (`fleetwave firmware
 * roots`) or one root public key ({kid, jwk}, as `fleetwave firmware keygen --root` writes it). Several
 * are merged: every root, every disabled key, the highest threshold a roots file sets (only public
 * keys: a majority of them). Throws naming the file and the problem.
 */
export function readTrustRoots(paths: string[]): Trust {
  const files: Trust[] = [];
  const keys: TrustRoot[] = [];
  for (const path of paths) {
    const value = readJsonFile(path);
    const trust = parseTrust(value);
    if (trust.ok) {
      files.push(trust.trust);
      continue;
    }
    const record = isRecord(value) ? value : {};
    const key = checkEd25519Jwk(record.jwk);
    if (!key.ok || record.kid !== jwkThumbprint(key.jwk)) {
      throw new Error(`--trust-root ${path} is neither a roots file (${trust.message}) nor a root public key {kid, jwk}`);
    }
    keys.push({ kid: jwkThumbprint(key.jwk), jwk: key.jwk });
  }
  if (files.length === 1 && keys.length === 0) return files[0];
  const rootKeys = new Map<string, TrustRoot>([...files.flatMap((file) => file.rootKeys), ...keys].map((root) => [root.kid, root]));
  const merged = parseTrust({
    format: 1,
    version: Math.max(...files.map((file) => file.version), 0),
    issuedAt: Math.max(...files.map((file) => file.issuedAt), 0),
    threshold: files.length > 0 ? Math.max(...files.map((file) => file.threshold)) : Math.floor(rootKeys.size / 2) + 1,
    rootKeys: [...rootKeys.values()],
    disabledRootKeys: [...new Set(files.flatMap((file) => file.disabledRootKeys))],
    disabledSigningKeys: [...new Set(files.flatMap((file) => file.disabledSigningKeys))],
  });
  if (!merged.ok) throw new Error(`the --trust-root files together: ${merged.message}`);
  return merged.trust;
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read --trust-root ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`--trust-root ${path} is not JSON`);
  }
}
