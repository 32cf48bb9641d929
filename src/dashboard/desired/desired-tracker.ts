// The desired state: what the fleet repository's branch head says every host should run. It is read
// from a source (a bare mirror of the repository, or the earlier dashboard's version URL) on start,
// every poll interval and when a push webhook arrives; a burst of triggers coalesces into one read.
// What the source knew before a restart is shown at once, before the first read completes.
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { DesiredState } from '../../protocol/model.js';
import type { DashboardConfig } from '../config.js';
import { BehindCounter } from './behind-counter.js';
import { GitMirror } from './git-mirror.js';
import { normalizeCommit, sameCommit, type DesiredHead, type DesiredSource } from './source.js';
import { VersionUrlSource } from './version-source.js';

export interface DesiredSettings {
  /** The fleet repository (any URL git understands), or undefined. */
  repoUrl: string | undefined;
  branch: string;
  pollMs: number;
  sshKey: string | undefined;
  /** The earlier dashboard's version document (`{gitCommit, lockHash}`), used when no repoUrl is set. */
  versionUrl: string | undefined;
  /** The dashboard's data dir: the mirror and the last version document live in `<dataDir>/desired/`. */
  dataDir: string;
}

export interface DesiredTrackerOptions {
  logger?: Logger;
}

export function desiredSettingsOf(config: DashboardConfig): DesiredSettings {
  return {
    repoUrl: config.repoUrl,
    branch: config.repoBranch,
    pollMs: config.repoPollMs,
    sshKey: config.repoSshKeyPath,
    versionUrl: config.versionUrl,
    dataDir: config.dataDir,
  };
}

/** The repository wins over the version URL when both are set: it knows history, subject and time. */
function sourceFor(settings: DesiredSettings, log: Logger): DesiredSource | null {
  const dir = path.join(settings.dataDir, 'desired');
  if (settings.repoUrl) {
    return new GitMirror({ dir: path.join(dir, 'repo.git'), url: settings.repoUrl, branch: settings.branch, sshKeyPath: settings.sshKey });
  }
  if (settings.versionUrl) return new VersionUrlSource({ url: settings.versionUrl, stateFile: path.join(dir, 'version-url.json'), log });
  return null;
}

/** The fields whose change is news; checked_at alone is not, or every poll would be published. */
const NEWS_FIELDS = ['source', 'commit', 'branch', 'lock_hash', 'committed_at', 'subject', 'error'] as const;

/**
 * Whether two reasons for a failed read are the same failure: the same words, whatever numbers they
 * carry (git's `after 21045 ms`, a JSON error's position). A source that stays down then tells
 * browsers and judges every host once, not again at every poll; the state keeps the latest words.
 */
function sameError(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const words = (text: string) => text.replace(/\d+/g, '#');
  return words(a) === words(b);
}

export class DesiredTracker {
  private state: DesiredState;
  private readonly source: DesiredSource | null;
  /** Null for a source that knows no history. */
  private readonly behind: BehindCounter | null;
  private readonly log: Logger;
  private readonly listeners: ((state: DesiredState) => void)[] = [];
  /** The read under way, and the one that will follow it for the triggers that came meanwhile. */
  private reading: Promise<void> | null = null;
  private followUp: Promise<void> | null = null;
  private loading: Promise<void> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly stopping = new AbortController();
  private started = false;

  constructor(
    private readonly settings: DesiredSettings,
    options: DesiredTrackerOptions = {},
  ) {
    this.log = options.logger ?? pino({ level: 'silent' });
    this.source = sourceFor(settings, this.log);
    const count = this.source?.commitsBehind?.bind(this.source);
    this.behind = count ? new BehindCounter(count, this.log) : null;
    this.state = Object.freeze({
      source: this.source?.kind ?? 'none',
      commit: '',
      branch: settings.branch,
      lock_hash: '',
      committed_at: null,
      subject: '',
      checked_at: null,
      error: null,
    });
  }

  /** The desired state as last read (checked_at is kept current even when nothing else changed). */
  current(): DesiredState {
    return this.state;
  }

  /** Reads of the source started so far (each is one fetch), for tests and metrics. */
  get reads(): number {
    return this.source?.reads ?? 0;
  }

  /** Told when anything but checked_at changes: commit, lock_hash, committed_at, subject or error. */
  onChange(listener: (state: DesiredState) => void): void {
    this.listeners.push(listener);
  }

  /**
   * How many commits `commit` is behind the desired commit: a number when the mirror knows, null
   * when it cannot tell (not in the mirror, diverged, not a commit, no git source), undefined while
   * it is being found out (onBehindKnown is told when it is). `commit` may be a prefix of 7 or more
   * hex digits, as old agents send.
   */
  commitsBehind(commit: string): number | null | undefined {
    const normalized = normalizeCommit(commit);
    const desired = this.state.commit;
    if (normalized === null || desired === '') return null;
    if (sameCommit(normalized, desired)) return 0;
    if (!this.behind) return null;
    return this.behind.answer(normalized);
  }

  /** Told, with the host commit as it was asked about, when a commitsBehind answer that was undefined becomes known. */
  onBehindKnown(listener: (commit: string) => void): void {
    this.behind?.onKnown(listener);
  }

  /**
   * Reads the source now; resolves when a read that began after this call is done. A call while a
   * read runs joins the one read that follows it, so a burst of calls makes at most two reads.
   */
  refresh(reason: string): Promise<void> {
    if (!this.source || this.stopping.signal.aborted) return Promise.resolve();
    if (!this.reading) return this.beginRead(reason);
    this.followUp ??= this.reading.then(() => {
      this.followUp = null;
      return this.beginRead(reason);
    });
    return this.followUp;
  }

  /** Shows what the source knew before this process started, without the network. start() does it too. */
  load(): Promise<void> {
    this.loading ??= this.loadLastKnown();
    return this.loading;
  }

  /** Loads the last known state, then reads the source at once and every poll interval. */
  start(): void {
    if (this.started || this.stopping.signal.aborted || !this.source) return;
    this.started = true;
    const { kind, location } = this.source;
    this.log.info({ source: kind, location, branch: this.settings.branch, pollMs: this.settings.pollMs }, 'desired state: following');
    void this.refresh('start');
  }

  /** Stops polling and ends a read under way (its git is killed); resolves when it has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.behind?.stop();
    await this.reading;
  }

  private beginRead(reason: string): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    const read = this.readOnce(reason).finally(() => {
      if (this.reading === read) this.reading = null;
    });
    this.reading = read;
    return read;
  }

  private async readOnce(reason: string): Promise<void> {
    await this.load();
    const source = this.source;
    if (!source || this.stopping.signal.aborted) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const began = Date.now();
    try {
      const head = await source.read(this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      const news = this.apply({ ...head, error: null, checked_at: new Date().toISOString() });
      if (news) this.log.info({ commit: head.commit, reason, readMs: Date.now() - began }, 'desired state: changed');
    } catch (err) {
      // A read cut short by stop() is no failure of the source.
      if (this.stopping.signal.aborted) return;
      const error = err instanceof Error ? err.message : String(err);
      // The last known commit stays: a failed read says nothing about what hosts should run.
      const news = this.apply({ error, checked_at: new Date().toISOString() });
      if (news) this.log.warn({ error, reason, source: source.kind }, 'desired state: cannot read the source');
    } finally {
      this.schedulePoll();
    }
  }

  /** The next poll is one interval after the last read, whatever started it. */
  private schedulePoll(): void {
    if (!this.started || this.stopping.signal.aborted) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.refresh('poll'), this.settings.pollMs);
    this.pollTimer.unref();
  }

  private async loadLastKnown(): Promise<void> {
    try {
      const head = await this.source?.lastKnown();
      if (head && this.state.commit === '' && !this.stopping.signal.aborted) this.apply(head);
    } catch (err) {
      // A mirror we cannot read now will be fetched into (or fail to be) by the first read.
      this.log.warn({ err }, 'desired state: cannot read the last known head');
    }
  }

  /** Makes `patch` current; tells the listeners when it is news. */
  private apply(patch: Partial<DesiredHead> & Partial<Pick<DesiredState, 'error' | 'checked_at'>>): boolean {
    const previous = this.state;
    this.state = Object.freeze({ ...previous, ...patch });
    this.behind?.setDesired(this.state.commit);
    const news = NEWS_FIELDS.some((field) => (field === 'error' ? !sameError(this.state.error, previous.error) : this.state[field] !== previous[field]));
    if (!news) return false;
    for (const listener of this.listeners) {
      try {
        listener(this.state);
      } catch (err) {
        this.log.error({ err }, 'desired state: a listener failed');
      }
    }
    return true;
  }
}
