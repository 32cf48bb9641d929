// The freshness checks the heartbeat reports (`update_status`): is the repository behind its remote,
// is flake.lock old, is the running system the configured one, did the host's tests pass. Commands set
// them when they learn something; the heartbeat only reads them.
import type { CheckStatus, UpdateStatus } from '../../protocol/model.js';

export type CheckName = 'git' | 'lock' | 'system' | 'tests';
export type CheckState = 'ok' | 'outdated' | 'error' | 'unknown';

export class UpdateStatusBook {
  private readonly checks: Record<CheckName, CheckStatus | null> = { git: null, lock: null, system: null, tests: null };

  set(name: CheckName, status: CheckState, message: string, now = new Date()): void {
    this.checks[name] = { status, message, checked_at: now.toISOString() };
  }

  snapshot(): UpdateStatus {
    return { ...this.checks };
  }
}
