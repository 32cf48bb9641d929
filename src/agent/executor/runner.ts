// The detached runner: runs one program for the agent and writes its output and its end to a run log.
// It is started in a process group (or systemd scope) of its own, so it outlives an agent restart,
// which is what a switch causes; the next agent process follows the log where this one left off.
//
// Usage: runner <log file> <working directory> <program> [arguments...]
import fs from 'node:fs';
import { startPiped } from './process-group.js';
import { encodeEnd, encodeLine } from './run-log.js';

/** Output gathers this long at most before it is appended to the log in one write. */
const WRITE_BATCH_BYTES = 64 * 1024;

async function main(): Promise<void> {
  const [logPath, cwd, ...argv] = process.argv.slice(2);
  if (!logPath || !cwd || argv.length === 0) {
    process.stderr.write('usage: runner <log file> <working directory> <program> [arguments...]\n');
    process.exit(2);
  }
  const fd = fs.openSync(logPath, 'a', 0o600);
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending) fs.appendFileSync(fd, pending);
    pending = '';
  };
  // Stopping the command signals our whole group: the program decides how to end, and we stay to
  // write down how it ended. Only SIGKILL ends the runner without an end record.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {});
  // The program shares our group, so a signal to the group reaches it and everything it starts.
  const run = startPiped({ argv, cwd, env: process.env, newGroup: false }, (stream, line) => {
    pending += encodeLine(stream, line);
    if (pending.length >= WRITE_BATCH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  const result = await run.done;
  flush();
  fs.appendFileSync(fd, encodeEnd(result));
  fs.closeSync(fd);
  process.exit(0);
}

void main();
