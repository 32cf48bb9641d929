// The freshness checks the heartbeat reports (`update_status`): is the repository behind its remote,
// is flake.lock old, is the running system the configured one, did the host's tests pass. Commands and
// the background refresher set them when they learn something; the heartbeat only reads them.
//
// Every change is written to the state dir (update-status.json), so what the agent learnt survives
// its restarts instead of going grey until the next check.
import type { Logger } from 'pino';
import { UpdateStatus, type CheckStatus } from '../../protocol/model.js';
import { StateFile } from '../state-file.js';

const UPDATE_STATUS_FILE = 'update-status.json';
/** The protocol's bound on a check's message: a longer one would cost the whole heartbeat. */
const MESSAGE_MAX_CHARS = 4_096;

export type CheckName = 'git' | 'lock' | 'system' | 'tests';
export type CheckState = 'ok' | 'outdated' | 'error' | 'unknown';

export class UpdateStatusBook {
  private readonly file: StateFile<typeof UpdateStatus>;
  private checks: Record<CheckName, CheckStatus | null> = { git: null, lock: null, system: null, tests: null };

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.file = new StateFile(stateDir, UPDATE_STATUS_FILE, UpdateStatus, 'an update status record');
  }

  /** Takes what an earlier agent process learnt; a file that is not a record is reported and ignored. */
  load(): void {
    const { value, problem } = this.file.read();
    if (problem) this.log.warn(problem);
    if (!value) return;
    this.checks = { git: value.git ?? null, lock: value.lock ?? null, system: value.system ?? null, tests: value.tests ?? null };
  }

  set(name: CheckName, status: CheckState, message: string, now = new Date()): void {
    this.checks[name] = { status, message: message.slice(0, MESSAGE_MAX_CHARS), checked_at: now.toISOString() };
    try {
      this.file.write(this.checks);
    } catch (err) {
      // The heartbeat still reports it; only a restart would forget it.
      this.log.warn({ err }, `cannot write ${this.file.path}`);
    }
  }

  snapshot(): UpdateStatus {
    return { ...this.checks };
  }
}
