// Stand-ins for nixos-rebuild, home-manager, nix and systemctl on PATH. Each prints numbered lines and
// exits as its control file says, so a test decides what a "switch" does without a Nix installation.
import fs from 'node:fs';
import path from 'node:path';

export const FAKE_PROGRAMS = ['nixos-rebuild', 'home-manager', 'nix', 'systemctl'] as const;
export type FakeProgram = (typeof FAKE_PROGRAMS)[number];

export interface FakeBehaviour {
  /** Seconds to sleep before printing anything. */
  delayS?: number;
  /** Lines "line 1" … "line N" on stdout. */
  lines?: number;
  /** Also a "warning i" line on stderr after every this many lines. */
  stderrEvery?: number;
  /** Sleep `pauseS` seconds after every `pauseEvery` lines, to spread output over time. */
  pauseEvery?: number;
  pauseS?: number;
  /** Seconds to sleep after the lines. */
  sleepS?: number;
  /** Start a background `sleep 300` first and record its pid in `children`. */
  spawnChild?: boolean;
  /** Ignore SIGTERM (and so do its children): only SIGKILL ends it. */
  ignoreTerm?: boolean;
  /** Only the background child ignores SIGTERM: the program ends on it and leaves the child. */
  childIgnoresTerm?: boolean;
  /** A last stderr line. */
  errorLine?: string;
  exitCode?: number;
}

// The script sources its control file, prints with awk (fast enough for 100k lines) and exits.
const SCRIPT = `#!/usr/bin/env bash
tool=$(basename "$0")
DELAY=0 LINES=3 STDERR_EVERY=0 PAUSE_EVERY=0 PAUSE=0 SLEEP=0 SPAWN_CHILD=0 IGNORE_TERM=0 CHILD_IGNORE_TERM=0 ERROR_LINE= EXIT=0
# Before the control file is read: a start logged after set() behaves as that set() says.
echo "start $$ $tool $*" >> "$FAKE_CONTROL_DIR/events.log"
[ -f "$FAKE_CONTROL_DIR/$tool" ] && . "$FAKE_CONTROL_DIR/$tool"
[ "$IGNORE_TERM" = 1 ] && trap '' TERM
echo "$tool $*" >> "$FAKE_CONTROL_DIR/calls.log"
echo $$ >> "$FAKE_CONTROL_DIR/pids"
if [ "$SPAWN_CHILD" = 1 ]; then
  if [ "$CHILD_IGNORE_TERM" = 1 ]; then (trap '' TERM; exec sleep 300) & else sleep 300 & fi
  echo $! >> "$FAKE_CONTROL_DIR/children"
fi
sleep "$DELAY"
awk -v n="$LINES" -v every="$STDERR_EVERY" -v pe="$PAUSE_EVERY" -v p="$PAUSE" 'BEGIN {
  for (i = 1; i <= n; i++) {
    print "line " i
    if (every > 0 && i % every == 0) print "warning " i > "/dev/stderr"
    if (pe > 0 && i % pe == 0) { fflush(); system("sleep " p) }
  }
}'
sleep "$SLEEP"
[ -n "$ERROR_LINE" ] && echo "$ERROR_LINE" >&2
echo "end $$ $tool" >> "$FAKE_CONTROL_DIR/events.log"
exit "$EXIT"
`;

export class FakeTools {
  readonly binDir: string;
  readonly controlDir: string;

  constructor(root: string) {
    this.binDir = path.join(root, 'bin');
    this.controlDir = path.join(root, 'control');
    fs.mkdirSync(this.binDir, { recursive: true });
    fs.mkdirSync(this.controlDir, { recursive: true });
    for (const program of FAKE_PROGRAMS) fs.writeFileSync(path.join(this.binDir, program), SCRIPT, { mode: 0o755 });
  }

  /** What `program` does the next time it runs. */
  set(program: FakeProgram, behaviour: FakeBehaviour): void {
    const vars = {
      DELAY: behaviour.delayS ?? 0,
      LINES: behaviour.lines ?? 3,
      STDERR_EVERY: behaviour.stderrEvery ?? 0,
      PAUSE_EVERY: behaviour.pauseEvery ?? 0,
      PAUSE: behaviour.pauseS ?? 0,
      SLEEP: behaviour.sleepS ?? 0,
      SPAWN_CHILD: behaviour.spawnChild ? 1 : 0,
      IGNORE_TERM: behaviour.ignoreTerm ? 1 : 0,
      CHILD_IGNORE_TERM: behaviour.childIgnoresTerm ? 1 : 0,
      ERROR_LINE: `'${(behaviour.errorLine ?? '').replaceAll("'", '')}'`,
      EXIT: behaviour.exitCode ?? 0,
    };
    fs.writeFileSync(path.join(this.controlDir, program), Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n'));
  }

  /** The command lines the fakes were run with, oldest first. */
  calls(): string[] {
    return this.readLines('calls.log');
  }

  /**
   * When each fake started and ended, in the order it happened ("start <pid> <tool> <args>", "end
   * <pid> <tool>"): one fake running while another did shows here. A fake that was killed has no end.
   */
  events(): string[] {
    return this.readLines('events.log');
  }

  /** Pids of the fake programs and of the background children they started. */
  pids(): number[] {
    return this.readLines('pids').map(Number);
  }

  children(): number[] {
    return this.readLines('children').map(Number);
  }

  /**
   * Kills every process that still carries this control dir in its environment: fakes and their
   * children, runners, agents. A failing test must not leave a `sleep 300` behind.
   */
  killLeftovers(): void {
    const marker = `FAKE_CONTROL_DIR=${this.controlDir}\0`;
    for (const entry of fs.readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      try {
        if (`${fs.readFileSync(`/proc/${pid}/environ`, 'utf8')}\0`.includes(marker)) process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already, or not ours to read.
      }
    }
  }

  /** The environment variable the fakes find their control files by. */
  get env(): Record<string, string> {
    return { FAKE_CONTROL_DIR: this.controlDir };
  }

  private readLines(name: string): string[] {
    try {
      return fs.readFileSync(path.join(this.controlDir, name), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }
}
