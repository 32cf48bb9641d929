#!/bin/bash
# Usage: run-agent.sh /path/to/nixfleet-agent
#
# launchd keeps the agent alive, but cannot be told to leave one exit code alone as systemd's
# RestartPreventExitStatus=2 does: a bad setting would restart it every few seconds for ever. Under
# KeepAlive { SuccessfulExit = false } this wrapper turns the agent's configuration error (exit 2) into
# a successful exit, which launchd does not restart, and passes every other ending through: 101
# (`restart`, after a switch), a crash or a signal are restarted. SIGTERM from launchctl reaches the
# agent, whose graceful stop then ends the wrapper with 0.
agent=${1:?usage: run-agent.sh /path/to/nixfleet-agent}
"$agent" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
# A trapped signal ends `wait` early: wait again until the agent itself has ended.
while :; do
  wait "$pid"
  code=$?
  kill -0 "$pid" 2>/dev/null || break
done
if [ "$code" -eq 2 ]; then
  echo "nixfleet-agent: stopped for a configuration error (the line above names it); launchd will not restart it." >&2
  echo "nixfleet-agent: fix the setting, then: launchctl kickstart -k gui/$(id -u)/org.nixfleet.agent" >&2
  exit 0
fi
exit "$code"
