// Signals to a process group (a program and everything it started, led by the program's pid), for
// the agent's commands and the dashboard's git alike.

/** Sends `signal` to the process group led by `pid`; false when no such group is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group led by `pid` is left. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
