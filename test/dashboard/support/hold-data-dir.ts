// A process that takes a data directory's lock and keeps it until it is killed; it prints `held`, or
// `in use by <pid>` when another process has the directory.
import { DataDirInUseError, lockDataDir } from '../../../src/dashboard/data-dir-lock.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hold-data-dir.ts <data dir>');
try {
  lockDataDir(dataDir);
  process.stdout.write('held\n');
  setInterval(() => undefined, 60_000);
} catch (err) {
  if (!(err instanceof DataDirInUseError)) throw err;
  process.stdout.write(`in use by ${err.holderPid}\n`);
}
