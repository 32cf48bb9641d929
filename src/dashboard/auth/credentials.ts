// The dashboard's secrets: from the environment, or generated on the first start and kept in the
// data dir (hashes only, for the password and the agent token).
import fs from 'node:fs';
import path from 'node:path';
import type { DashboardConfig } from '../config.js';
import { hashPassword } from './passwords.js';
import { newSecret, sha256Hex } from './tokens.js';

export const PASSWORD_HASH_FILE = 'admin-password.hash';
export const AGENT_TOKEN_HASH_FILE = 'agent-token.sha256';
export const SESSION_SECRET_FILE = 'session-secret';

export interface Credentials {
  passwordHash: string;
  /** SHA-256 (hex) of the shared agent token. */
  agentTokenHash: string;
  /** The first signs session cookies; all of them verify. */
  sessionSecrets: string[];
  /** Set only on the start that generated them: shown once, never again. */
  generated: { password?: string; agentToken?: string };
}

function readSecretFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writeSecretFile(file: string, value: string): void {
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
}

export async function resolveCredentials(config: DashboardConfig): Promise<Credentials> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const at = (name: string) => path.join(config.dataDir, name);
  const generated: Credentials['generated'] = {};

  let passwordHash = config.passwordHash ?? (config.password ? await hashPassword(config.password) : readSecretFile(at(PASSWORD_HASH_FILE)));
  if (!passwordHash) {
    generated.password = newSecret(15);
    passwordHash = await hashPassword(generated.password);
    writeSecretFile(at(PASSWORD_HASH_FILE), passwordHash);
  }

  let agentTokenHash = config.agentToken ? sha256Hex(config.agentToken) : readSecretFile(at(AGENT_TOKEN_HASH_FILE));
  if (!agentTokenHash) {
    generated.agentToken = newSecret();
    agentTokenHash = sha256Hex(generated.agentToken);
    writeSecretFile(at(AGENT_TOKEN_HASH_FILE), agentTokenHash);
  }

  let sessionSecrets = config.sessionSecrets;
  if (sessionSecrets.length === 0) {
    let kept = readSecretFile(at(SESSION_SECRET_FILE));
    if (!kept) {
      kept = newSecret();
      writeSecretFile(at(SESSION_SECRET_FILE), kept);
    }
    sessionSecrets = [kept];
  }

  return { passwordHash, agentTokenHash, sessionSecrets, generated };
}
