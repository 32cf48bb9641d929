// The earlier dashboard's source of the desired state: a JSON document `{gitCommit, lockHash}` at a URL,
// usually written by the fleet repository's CI. It knows the head but no history, no subject and no
// time, so it cannot count commits behind. The last good answer is kept in the data dir so that a restart shows it at once.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { normalizeCommit, redactUrlCredentials, type DesiredHead, type DesiredSource } from './source.js';

/** A version document is a few hundred bytes; anything far larger is not one. */
const VERSION_DOCUMENT_MAX_BYTES = 64 * 1024;
export const VERSION_URL_TIMEOUT_MS = 15_000;

export type VersionUrlErrorCode = 'unreachable' | 'timeout' | 'http_status' | 'too_large' | 'bad_document';

export class VersionUrlError extends Error {
  constructor(
    readonly code: VersionUrlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface VersionUrlSettings {
  url: string;
  /** Where the last good answer is kept across restarts. */
  stateFile: string;
  timeoutMs?: number;
  /** Told when the answer cannot be kept: the read itself still counts. */
  log?: Logger;
}

/** What is kept in stateFile: the answer, and the URL it came from (a new URL starts afresh). */
interface KeptAnswer {
  url: string;
  head: DesiredHead;
}

/** Reads `{gitCommit, lockHash}`; throws a VersionUrlError naming what is wrong. */
export function parseVersionDocument(text: string): DesiredHead {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new VersionUrlError('bad_document', `the version URL did not answer JSON (${(err as Error).message})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new VersionUrlError('bad_document', 'the version URL answered JSON that is not an object');
  }
  const { gitCommit, lockHash } = document as { gitCommit?: unknown; lockHash?: unknown };
  return headOf(gitCommit, lockHash);
}

function headOf(gitCommit: unknown, lockHash: unknown): DesiredHead {
  const commit = typeof gitCommit === 'string' ? normalizeCommit(gitCommit) : null;
  // A full hash only: a prefix could not be told apart from the commit of a host that merely starts alike.
  if (commit === null || (commit.length !== 40 && commit.length !== 64)) {
    throw new VersionUrlError('bad_document', 'the version document has no full commit hash in gitCommit');
  }
  const lock = lockHash === undefined || lockHash === null ? '' : typeof lockHash === 'string' ? lockHash.trim().toLowerCase() : null;
  if (lock === null || (lock !== '' && !/^[0-9a-f]{64}$/.test(lock))) {
    throw new VersionUrlError('bad_document', "the version document's lockHash is not a SHA-256 hex digest");
  }
  return { commit, lock_hash: lock, committed_at: null, subject: '' };
}

export class VersionUrlSource implements DesiredSource {
  readonly kind = 'version_url';
  private readsStarted = 0;

  constructor(private readonly settings: VersionUrlSettings) {}

  get reads(): number {
    return this.readsStarted;
  }

  get location(): string {
    return redactUrlCredentials(this.settings.url);
  }

  async lastKnown(): Promise<DesiredHead | null> {
    try {
      const kept = JSON.parse(await fs.promises.readFile(this.settings.stateFile, 'utf8')) as Partial<KeptAnswer>;
      if (kept.url !== this.settings.url || !kept.head) return null;
      return headOf(kept.head.commit, kept.head.lock_hash);
    } catch {
      // Never read before, or a file we cannot trust: the first read will tell.
      return null;
    }
  }

  async read(signal: AbortSignal): Promise<DesiredHead> {
    this.readsStarted += 1;
    const timeoutMs = this.settings.timeoutMs ?? VERSION_URL_TIMEOUT_MS;
    let response: Response;
    try {
      response = await fetch(this.settings.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (err) {
      throw failure(err, signal, timeoutMs);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new VersionUrlError('http_status', `the version URL answered HTTP ${response.status}`);
    }
    let text: string;
    try {
      text = await readBounded(response, VERSION_DOCUMENT_MAX_BYTES);
    } catch (err) {
      throw err instanceof VersionUrlError ? err : failure(err, signal, timeoutMs);
    }
    const head = parseVersionDocument(text);
    await this.keep(head).catch((err: unknown) => {
      // A full disk costs the answer after a restart, not the answer now.
      this.settings.log?.warn({ err, file: this.settings.stateFile }, 'desired state: cannot keep the version document');
    });
    return head;
  }

  private async keep(head: DesiredHead): Promise<void> {
    const kept: KeptAnswer = { url: this.settings.url, head };
    const temporary = `${this.settings.stateFile}.tmp`;
    await fs.promises.mkdir(path.dirname(this.settings.stateFile), { recursive: true });
    // Written aside and renamed: a crash mid-write leaves the previous answer, not half of one.
    await fs.promises.writeFile(temporary, JSON.stringify(kept));
    await fs.promises.rename(temporary, this.settings.stateFile);
  }
}

/** Why a request failed, in words: fetch itself only says "fetch failed". */
function failure(err: unknown, signal: AbortSignal, timeoutMs: number): unknown {
  if (signal.aborted) return err;
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new VersionUrlError('timeout', `the version URL did not answer within ${timeoutMs / 1000}s`);
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
  return new VersionUrlError('unreachable', `cannot reach the version URL: ${cause}`);
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new VersionUrlError('too_large', `the version URL answered more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
