// One dashboard per data directory. Two writing into one database would each believe its own view of
// hosts and commands and overwrite the other's, so the second refuses to start.
//
// The lock is a lock the kernel holds for the process, not a file that says "taken": SQLite's
// exclusive locking mode on `dashboard.lock` (a POSIX fcntl lock, on Linux and macOS alike). The
// kernel drops it when the process ends however it ends (exit, crash, SIGKILL, power loss), so a
// stale lock cannot exist and nothing has to guess whether an old pid file's process still lives (or
// was reused by another). Taking it is one atomic step: of two dashboards starting at once, one wins.
// The holder writes its pid into the file's header for the refusal message; the file stays (removing
// a lock file races with whoever opens it next).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'dashboard.lock';
/** SQLite keeps the application's `user_version` (here the holder's pid) at this offset of the file. */
const USER_VERSION_OFFSET = 60;
/** SQLite creates a database file with its first page; a file this long has the header written. */
const SQLITE_HEADER_BYTES = 100;

export class DataDirInUseError extends Error {
  readonly code = 'data_dir_in_use';
  constructor(
    readonly dataDir: string,
    /** The dashboard holding the lock, when it could be read. */
    readonly holderPid: number | null,
  ) {
    const holder = holderPid ? `another dashboard (pid ${holderPid})` : 'another dashboard';
    super(`the data directory ${dataDir} is in use by ${holder}; stop that one first, or give this one its own NIXFLEET_DATA_DIR`);
  }
}

/**
 * The locks this process holds, by real path. Kept referenced for the process's life: a collected
 * connection would be closed and its lock dropped. A second dashboard in the same process (tests that
 * restart one) reuses the lock; fcntl locks are per process and cannot tell the two apart anyway.
 */
const held = new Map<string, Database.Database>();

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function isNotADatabase(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

/**
 * The pid the holder wrote, read without SQLite (which the lock keeps out). Only ever called in a
 * process that is not the holder: closing any descriptor of the file drops all of its own process's
 * fcntl locks on it, which is why a process that holds the lock returns before looking (`held`).
 */
function holderPidOf(file: string): number | null {
  try {
    const header = Buffer.alloc(SQLITE_HEADER_BYTES);
    const fd = fs.openSync(file, 'r');
    try {
      if (fs.readSync(fd, header, 0, SQLITE_HEADER_BYTES, 0) < SQLITE_HEADER_BYTES) return null;
    } finally {
      fs.closeSync(fd);
    }
    return header.readUInt32BE(USER_VERSION_OFFSET) || null;
  } catch {
    return null;
  }
}

function takeLock(file: string): Database.Database {
  // timeout 0: a held lock answers at once instead of after better-sqlite3's default five seconds.
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY'); // no -journal file beside it
    db.pragma('synchronous = OFF'); // the pid is for people; the lock is not in the file
    // The first write takes the exclusive lock, and exclusive mode keeps it until the connection closes.
    db.pragma(`user_version = ${process.pid}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Takes the lock, or throws DataDirInUseError when another process has it. */
function takeOrRefuse(file: string, dataDir: string): Database.Database {
  try {
    return takeLock(file);
  } catch (err) {
    if (isBusy(err)) throw new DataDirInUseError(dataDir, holderPidOf(file));
    throw err;
  }
}

/**
 * Takes the data directory for this process (creating it, 0700, if need be), or throws
 * DataDirInUseError naming the dashboard that has it. Held until the process ends.
 */
export function lockDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = fs.realpathSync(dataDir);
  if (held.has(key)) return;
  const file = path.join(key, LOCK_FILE);
  let db: Database.Database;
  try {
    db = takeOrRefuse(file, dataDir);
  } catch (err) {
    if (!isNotADatabase(err)) throw err;
    // Left half-written by a power loss: the lock is not in the content, so the file is emptied in
    // place (the same inode, whose lock another process may hold) and taken again.
    fs.truncateSync(file, 0);
    db = takeOrRefuse(file, dataDir);
  }
  held.set(key, db);
}
