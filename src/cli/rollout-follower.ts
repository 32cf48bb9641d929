// One rollout followed live over the dashboard's socket until it is over: every change is merged into
// its RolloutView and told as lines (a step started, a host failed); a reconnect or resync catches up
// from `init`, or from the API when init no longer carries the rollout.
import type { InitPayload } from '../protocol/browser.js';
import type { Rollout } from '../protocol/rollout.js';
import { CliError, EXIT_FAILED } from './errors.js';
import type { DashboardClient } from './http-client.js';
import { describeChanges, isRolloutOver, RolloutView } from './rollout-view.js';
import { DashboardSocket, type SocketListener } from './socket.js';
import type { Settings } from './settings.js';

export class RolloutFollower implements SocketListener {
  private view: RolloutView | null = null;
  /** Updates that came before the rollout's id was known (it is being started). */
  private readonly early: { rollout: Rollout; delta: boolean }[] = [];
  private told: Rollout | null = null;
  private socket: DashboardSocket | null = null;
  private finish: ((rollout: Rollout) => void) | null = null;
  private fail: ((error: CliError) => void) | null = null;

  private constructor(
    private readonly client: DashboardClient,
    private readonly tell: (line: string) => void,
  ) {}

  /** Opens the socket first, so that no change made from now on is missed. */
  static async open(settings: Settings, client: DashboardClient, tell: (line: string) => void): Promise<RolloutFollower> {
    const follower = new RolloutFollower(client, tell);
    follower.socket = await DashboardSocket.open(settings, follower);
    return follower;
  }

  /**
   * Tells the rollout's progress (the steps that already ran or run in `known`, then every change)
   * and resolves with its last state once it is over.
   */
  follow(known: Rollout): Promise<Rollout> {
    const socket = this.socket;
    if (!socket) throw new Error('follow before open');
    const view = new RolloutView(known.id);
    this.view = view;
    const over = new Promise<Rollout>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    for (const update of this.early.splice(0)) view.update(update.rollout, update.delta);
    this.changed(view.whole(known) ?? view.current);
    return Promise.race([over, socket.failed]);
  }

  close(): void {
    this.socket?.close();
  }

  init(payload: InitPayload, how: 'first' | 'reconnect' | 'resync'): void {
    const view = this.view;
    if (how === 'first' || !view) return;
    const carried = payload.rollouts.find((rollout) => rollout.id === view.id);
    if (carried) this.changed(view.whole(carried));
    else void this.refresh(view);
  }

  rollout(rollout: Rollout, delta: boolean): void {
    if (!this.view) {
      this.early.push({ rollout, delta });
      return;
    }
    this.changed(this.view.update(rollout, delta));
  }

  command(): void {
    // Step commands are told through the rollout's own records.
  }

  output(): void {
    // Output is not followed here: each step names its command id for `nixfleet output`.
  }

  error(): void {
    // Only get_output is answered with errors, and this follower sends none.
  }

  private changed(state: Rollout | null): void {
    if (!state) return;
    for (const line of describeChanges(this.told, state)) this.tell(line);
    this.told = state;
    if (isRolloutOver(state)) this.finish?.(state);
  }

  private async refresh(view: RolloutView): Promise<void> {
    try {
      const reply = await this.client.get<{ rollout: Rollout }>(`/api/rollouts/${encodeURIComponent(view.id)}`);
      this.changed(view.whole(reply.rollout));
    } catch (err) {
      this.fail?.(err instanceof CliError ? err : new CliError(String(err), 'internal', EXIT_FAILED));
    }
  }
}
