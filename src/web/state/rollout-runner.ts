// Rollouts from the page: the "Rollout…" dialog and its request, the rollout the panel shows, pause /
// resume / cancel (cancel confirmed first), and reading older rollouts than `init` carried. Every
// answer with a rollout goes into the records by revision, like a `rollout_update`.
import type { CreateRolloutBody, Rollout } from '../../protocol/rollout.js';
import { attempt, type DashboardApi, type RolloutChangeName } from '../net/api.js';
import type { DialogRefusal } from './host-admin.js';
import type { Notices } from './notices.js';
import { Cell } from './observable.js';
import type { RolloutTarget } from './rollout-plan.js';
import { isFinished, type RolloutRecords } from './rollout-records.js';

export interface RolloutDialog {
  /** The target the dialog opens with. */
  target: RolloutTarget;
  /** The hosts selected in the table when it was opened, offered as a target (may be empty). */
  selection: readonly string[];
  sending: boolean;
  refusal: DialogRefusal | null;
}

export type RolloutApi = Pick<DashboardApi, 'startRollout' | 'changeRollout' | 'recentRollouts'>;

/** "Show older" reads this many rollouts older than the oldest the page knows. */
export const OLDER_ROLLOUTS_PAGE = 50;

/** Reading older rollouts: `complete` once the dashboard returned fewer than asked (it has no more). */
export type OlderRollouts = 'idle' | 'loading' | 'complete';

const CHANGE_WORDS: Record<RolloutChangeName, string> = { pause: 'Pausing', resume: 'Resuming', cancel: 'Cancelling' };

/** The rollout the panel shows: the one chosen, else the newest that runs, else the newest. */
export function shownRollout(list: readonly Rollout[], chosen: string | null): Rollout | undefined {
  return list.find((rollout) => rollout.id === chosen) ?? list.find((rollout) => !isFinished(rollout)) ?? list[0];
}

export class RolloutRunner {
  readonly dialog = new Cell<RolloutDialog | null>(null);
  /** The rollout chosen in the panel's list; null until the admin chooses or starts one. */
  readonly chosen = new Cell<string | null>(null);
  /** The rollout whose cancelling waits for the admin's confirmation. */
  readonly cancelling = new Cell<string | null>(null);
  /** The rollouts with a pause, resume or cancel on its way (their buttons wait). */
  readonly busy = new Cell<ReadonlySet<string>>(new Set());
  readonly older = new Cell<OlderRollouts>('idle');

  constructor(
    private readonly api: RolloutApi,
    private readonly records: RolloutRecords,
    private readonly notices: Pick<Notices, 'add'>,
  ) {}

  open(target: RolloutTarget, selection: readonly string[] = []): void {
    this.dialog.set({ target, selection, sending: false, refusal: null });
  }

  dismiss(): void {
    this.dialog.set(null);
  }

  /** Starts the rollout; the dialog closes on 201 and the panel shows the new rollout. A refusal stays in the dialog. */
  async start(body: CreateRolloutBody): Promise<void> {
    const current = this.dialog.value;
    if (!current || current.sending) return;
    this.dialog.set({ ...current, sending: true, refusal: null });
    const outcome = await attempt(() => this.api.startRollout(body));
    if (outcome.ok) {
      this.records.merge(outcome.rollout);
      this.chosen.set(outcome.rollout.id);
      this.dialog.set(null);
      return;
    }
    // Closed while the request ran: the refusal is said in a notice instead.
    const open = this.dialog.value;
    if (open) this.dialog.set({ ...open, sending: false, refusal: { error: outcome.error, message: outcome.message } });
    else this.notices.add('error', `Starting the rollout failed: ${outcome.message}`);
  }

  choose(rolloutId: string): void {
    this.chosen.set(rolloutId);
  }

  askCancel(rolloutId: string): void {
    this.cancelling.set(rolloutId);
  }

  /** The admin's answer to "Cancel this rollout?". */
  async confirmCancel(): Promise<void> {
    const rolloutId = this.cancelling.value;
    this.cancelling.set(null);
    if (rolloutId !== null) await this.change(rolloutId, 'cancel');
  }

  keepRunning(): void {
    this.cancelling.set(null);
  }

  async change(rolloutId: string, change: RolloutChangeName): Promise<void> {
    if (this.busy.value.has(rolloutId)) return;
    this.busy.set(new Set(this.busy.value).add(rolloutId));
    const outcome = await attempt(() => this.api.changeRollout(rolloutId, change));
    const busy = new Set(this.busy.value);
    busy.delete(rolloutId);
    this.busy.set(busy);
    if (outcome.ok) this.records.merge(outcome.rollout);
    else this.notices.add('error', `${CHANGE_WORDS[change]} the rollout failed: ${outcome.message}`);
  }

  /** Reads the page of rollouts older than the oldest the page knows (GET /api/rollouts?before=). */
  async loadOlder(): Promise<void> {
    if (this.older.value === 'loading') return;
    this.older.set('loading');
    const oldest = this.records.list.at(-1)?.id;
    try {
      const rollouts = await this.api.recentRollouts(OLDER_ROLLOUTS_PAGE, oldest);
      this.records.mergeAll(rollouts);
      this.older.set(rollouts.length < OLDER_ROLLOUTS_PAGE ? 'complete' : 'idle');
    } catch (error) {
      this.older.set('idle');
      this.notices.add('error', `Could not read older rollouts: ${String(error)}`);
    }
  }
}
