import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DevSecrets {
  /** The data user's password per service (the user the service runs as). */
  databasePasswords: Record<string, string>;
  /** The migrations user's password per service (the user that owns the schema). */
  migrationPasswords: Record<string, string>;
  hqAdmin: { email: string; password: string };
}

const generate = () => randomBytes(18).toString('base64url');

/**
 * Development secrets, generated on first start into `.x/secrets.json` (git-ignored, mode 600).
 * Deployments take the same values from their environment instead.
 */
export function loadDevSecrets(stateDir: string, services: readonly string[]): DevSecrets {
  const file = path.join(stateDir, 'secrets.json');
  const existing: Partial<DevSecrets> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>) : {};
  const secrets: DevSecrets = {
    databasePasswords: { ...existing.databasePasswords },
    migrationPasswords: { ...existing.migrationPasswords },
    hqAdmin: existing.hqAdmin ?? { email: 'hq@x.local', password: generate() },
  };
  for (const service of services) {
    secrets.databasePasswords[service] ??= generate();
    secrets.migrationPasswords[service] ??= generate();
  }
  if (JSON.stringify(secrets) !== JSON.stringify(existing)) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
