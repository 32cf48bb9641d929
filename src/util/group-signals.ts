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
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A SIGKILL on its way to a group, after the grace a SIGTERM gave it. */
export interface PendingKill {
  /** The group's leader ended: with nothing of the group left the SIGKILL is not sent (the id could be another group's by then). */
  leaderEnded(): void;
}

/** SIGKILL to whatever of the group led by `pid` is left after `graceMs`, whether or not its leader is. */
export function killGroupLater(pid: number, graceMs: number): PendingKill {
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs).unref();
  return {
    leaderEnded: () => {
      if (!groupAlive(pid)) clearTimeout(timer);
    },
  };
}
