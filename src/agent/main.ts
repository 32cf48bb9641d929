#!/usr/bin/env node
// nixfleet-agent: reads its settings from the environment, keeps the host connected to the dashboard
// and runs its commands until told to stop. Exit codes: 0 stopped, 1 a problem --check found (or a
// fault), 2 bad configuration or arguments (the units do not restart it), 101 asked to restart
// (systemd's RestartForceExitStatus brings it back).
import { pino } from 'pino';
import { ConfigError, loadAgentConfig, type AgentConfig } from './config.js';
import { HELP_TEXT, parseCli } from './cli.js';
import { runCheck } from './check/run-check.js';
import { hostReadiness } from './check/host-readiness.js';
import { Agent } from './agent.js';
import { RESTART_EXIT_CODE } from './command-desk.js';
import { AGENT_VERSION } from './version.js';

const EXIT_BAD_CONFIG = 2;
/** Beyond stopping a running command (its grace period), how long a graceful stop may take. */
const SHUTDOWN_EXTRA_MS = 4_000;

function fail(message: string): never {
  process.stderr.write(`nixfleet-agent: ${message}\n`);
  process.exit(EXIT_BAD_CONFIG);
}

function readConfig(): AgentConfig {
  try {
    return loadAgentConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (!cli.ok) fail(cli.message);
  if (cli.mode === 'help') return void process.stdout.write(HELP_TEXT);
  if (cli.mode === 'version') return void process.stdout.write(`nixfleet-agent ${AGENT_VERSION}\n`);
  const config = readConfig();
  const searchPath = process.env.PATH ?? '';
  if (cli.mode === 'check') {
    process.exitCode = await runCheck(config, searchPath, {
      report: (line) => process.stdout.write(`${line}\n`),
      problem: (line) => process.stderr.write(`nixfleet-agent: ${line}\n`),
    });
    return;
  }
  // Logs go to stderr (the journal under systemd), synchronously so that none is lost at exit.
  const log = pino({ level: config.logLevel, base: { host: config.hostname } }, pino.destination({ fd: 2, sync: true }));
  let stopping = false;
  const exit = (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ code }, 'stopping');
    setTimeout(() => process.exit(code), config.stopGraceMs + SHUTDOWN_EXTRA_MS).unref();
    agent.stop(code === RESTART_EXIT_CODE ? 'the agent restarts' : 'the agent stops').finally(() => process.exit(code));
  };
  const agent = new Agent(config, log, exit);
  process.once('SIGTERM', () => exit(0));
  process.once('SIGINT', () => exit(0));
  log.info({ url: config.url, version: AGENT_VERSION, stateDir: config.stateDir }, 'nixfleet-agent starting');
  for (const note of config.notes) log.info(note);
  // The agent runs anyway (a program may be installed later), but says now what its commands will hit.
  for (const problem of hostReadiness(config, searchPath).problems) log.warn(problem);
  agent.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`nixfleet-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
