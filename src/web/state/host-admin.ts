// Managing hosts from the page: adding one with its own agent token, rotating a token, removing a
// host, setting its tags. One dialog at a time; a token the dashboard sends is kept only while its dialog is open,
// because the dashboard keeps only a hash and will never show it again.
import type { CreateHostBody } from '../../protocol/http.js';
import type { HostType } from '../../protocol/model.js';
import { attempt, type DashboardApi, type HostTokenOutcome, type Refusal } from '../net/api.js';
import type { Notices } from './notices.js';
import { Cell } from './observable.js';

/** Why a request in a dialog was refused, as the dashboard put it. */
export interface DialogRefusal {
  error: string;
  message: string;
}

export type HostDialog =
  | { kind: 'add'; sending: boolean; refusal: DialogRefusal | null }
  | { kind: 'rotate'; hostId: string; sending: boolean; refusal: DialogRefusal | null }
  | { kind: 'remove'; hostId: string; sending: boolean; refusal: DialogRefusal | null }
  | { kind: 'tags'; hostId: string; sending: boolean; refusal: DialogRefusal | null }
  | { kind: 'token'; hostId: string; hostType: HostType; token: string; reason: 'created' | 'rotated' };

export type HostDialogKind = HostDialog['kind'];

/** The refusal of DELETE /api/hosts/:id while the host's agent is connected; "Remove anyway" answers it. */
export const HOST_CONNECTED = 'host_connected';

/** The part of the API this store uses. */
export type HostApi = Pick<DashboardApi, 'createHost' | 'rotateToken' | 'removeHost' | 'setHostTags'>;

export class HostAdmin {
  /** The dialog shown, if any. */
  readonly dialog = new Cell<HostDialog | null>(null);

  constructor(
    private readonly api: HostApi,
    private readonly notices: Pick<Notices, 'add'>,
  ) {}

  openAdd(): void {
    this.dialog.set({ kind: 'add', sending: false, refusal: null });
  }

  askRotate(hostId: string): void {
    this.dialog.set({ kind: 'rotate', hostId, sending: false, refusal: null });
  }

  askRemove(hostId: string): void {
    this.dialog.set({ kind: 'remove', hostId, sending: false, refusal: null });
  }

  editTags(hostId: string): void {
    this.dialog.set({ kind: 'tags', hostId, sending: false, refusal: null });
  }

  /**
   * Closes the dialog of that kind. A dialog that was replaced by the next one (a confirmation by the
   * token it produced) reports its closing late; naming the kind keeps it from closing its successor.
   */
  dismiss(kind: HostDialogKind): void {
    if (this.dialog.value?.kind === kind) this.dialog.set(null);
  }

  async create(body: CreateHostBody): Promise<void> {
    const current = this.dialog.value;
    if (current?.kind !== 'add' || current.sending) return;
    this.dialog.set({ ...current, sending: true, refusal: null });
    const outcome = await attempt(() => this.api.createHost(body));
    this.afterToken(outcome, 'add', body.hostname, 'created');
  }

  async rotate(): Promise<void> {
    const current = this.dialog.value;
    if (current?.kind !== 'rotate' || current.sending) return;
    this.dialog.set({ ...current, sending: true, refusal: null });
    const outcome = await attempt(() => this.api.rotateToken(current.hostId));
    this.afterToken(outcome, 'rotate', current.hostId, 'rotated');
  }

  /** `force` is the admin's "Remove anyway" after the dashboard said the agent is connected. */
  async remove(force: boolean): Promise<void> {
    const current = this.dialog.value;
    if (current?.kind !== 'remove' || current.sending) return;
    this.dialog.set({ ...current, sending: true });
    const outcome = await attempt(() => this.api.removeHost(current.hostId, force));
    if (outcome.ok) {
      this.dismiss('remove');
      // The row goes when the dashboard's host_removed arrives on the socket, like every change.
      this.notices.add('info', `${current.hostId} was removed.`);
      return;
    }
    this.refused('remove', outcome, `Removing ${current.hostId}`);
  }

  /** Replaces the admin's tags of the host; the row shows them when the dashboard's host_update arrives. */
  async saveTags(tags: readonly string[]): Promise<void> {
    const current = this.dialog.value;
    if (current?.kind !== 'tags' || current.sending) return;
    this.dialog.set({ ...current, sending: true, refusal: null });
    const outcome = await attempt(() => this.api.setHostTags(current.hostId, tags));
    if (outcome.ok) this.dismiss('tags');
    else this.refused('tags', outcome, `Setting the tags of ${current.hostId}`);
  }

  /**
   * A new token is shown even if its dialog was closed while the request ran: the host has the
   * token now, and the page is the only place it will ever be readable.
   */
  private afterToken(outcome: HostTokenOutcome, from: 'add' | 'rotate', hostId: string, reason: 'created' | 'rotated'): void {
    if (outcome.ok) {
      this.dialog.set({ kind: 'token', hostId: outcome.host.id, hostType: outcome.host.host_type, token: outcome.token, reason });
      return;
    }
    this.refused(from, outcome, from === 'add' ? `Adding ${hostId}` : `Rotating the token of ${hostId}`);
  }

  /** The refusal goes into its dialog if that is still open, and to the notices if not. */
  private refused(kind: Exclude<HostDialogKind, 'token'>, outcome: Refusal, what: string): void {
    const current = this.dialog.value;
    const refusal = { error: outcome.error, message: outcome.message };
    if (current && current.kind !== 'token' && current.kind === kind) this.dialog.set({ ...current, sending: false, refusal });
    else this.notices.add('error', `${what} failed: ${outcome.message}`);
  }
}
