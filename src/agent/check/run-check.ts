// --check: what the agent would run with, and whether it would work: the repository, the programs
// its commands start, and the dashboard's answer to this host's register with this token. The report
// goes to stdout; each problem is one line on stderr; the exit code is 0 only when there is none.
import { pino } from 'pino';
import type { RunningCommand } from '../../protocol/agent.js';
import { describeConfig, type AgentConfig } from '../config.js';
import { RepoFacts } from '../host/repo-facts.js';
import { readSystemFacts } from '../host/system-facts.js';
import { SystemRecord } from '../host/system-record.js';
import { RunState } from '../state.js';
import { buildRegister } from '../register.js';
import { AGENT_VERSION } from '../version.js';
import { hostReadiness } from './host-readiness.js';
import { probeDashboard } from './probe.js';

export const CHECK_FAILED_EXIT_CODE = 1;

export interface CheckOutput {
  report(line: string): void;
  problem(line: string): void;
}

/** The command a previous agent process left running, as the agent would name it in register. */
function leftRunning(stateDir: string): RunningCommand | null {
  const { run } = new RunState(stateDir).read();
  return run ? { command_id: run.command_id, command: run.command, pid: run.step?.pid ?? null } : null;
}

/** Runs every check, prints as it goes; returns the exit code. */
export async function runCheck(config: AgentConfig, searchPath: string, out: CheckOutput): Promise<number> {
  out.report(`nixfleet-agent ${AGENT_VERSION}`);
  for (const [key, value] of Object.entries(describeConfig(config))) out.report(`  ${key}: ${JSON.stringify(value)}`);
  for (const note of config.notes) out.report(`note: ${note}`);

  const { facts, problems } = hostReadiness(config, searchPath);
  facts.forEach((fact) => out.report(fact));

  const systemRecord = new SystemRecord(config.stateDir, pino({ level: 'silent' }));
  systemRecord.load();
  const register = buildRegister({
    config,
    repo: new RepoFacts(config.repoDir),
    system: readSystemFacts(),
    systemCommit: systemRecord.commit,
    running: leftRunning(config.stateDir),
  });
  const answer = await probeDashboard(config.url, config.token, register);
  if (answer.ok) out.report(`dashboard: ${config.url} accepts host "${config.hostname}" with this token`);
  else problems.push(answer.why);

  problems.forEach((problem) => out.problem(problem));
  return problems.length === 0 ? 0 : CHECK_FAILED_EXIT_CODE;
}
