// What --check can tell without the dashboard: is the repository one the commands can work in, and
// are the programs they start on PATH. Each finding is a line of the report; each problem is one line
// that says what will fail and why.
import fs from 'node:fs';
import type { AgentConfig } from '../config.js';
import { isGitRepository, RepoFacts } from '../host/repo-facts.js';
import { findProgram, neededPrograms } from '../host/programs.js';

export interface Findings {
  /** What is fine, for the report. */
  facts: string[];
  /** What will make a command fail, one line each. */
  problems: string[];
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function repositoryFindings(config: AgentConfig): Findings {
  const { repoDir, repoUrl } = config;
  if (isGitRepository(repoDir)) {
    const generation = new RepoFacts(repoDir).generation();
    return { facts: [`repository: ${repoDir} at ${generation || 'no commit yet'}`], problems: [] };
  }
  if (!repoUrl) {
    return {
      facts: [],
      problems: [`NIXFLEET_REPO_DIR: ${repoDir} is not a git repository (no .git): pull and switch need the host's flake repository checked out there, or set NIXFLEET_REPO_URL for a clone the agent keeps`],
    };
  }
  if (isEmptyOrMissing(repoDir)) return { facts: [`repository: ${repoDir} is not cloned yet: the first pull clones ${repoUrl}`], problems: [] };
  return {
    facts: [],
    problems: [`NIXFLEET_REPO_DIR: ${repoDir} is not empty and not a git repository: the first pull cannot clone NIXFLEET_REPO_URL into it`],
  };
}

function programFindings(config: AgentConfig, searchPath: string): Findings {
  const facts: string[] = [];
  const problems: string[] = [];
  for (const { program, neededFor } of neededPrograms(config.hostType, config.privilegePrefix)) {
    const found = findProgram(searchPath, program);
    if (found) facts.push(`program: ${program} is ${found}`);
    else problems.push(`${program} is not on PATH: ${neededFor} would fail on this ${config.hostType} host`);
  }
  return { facts, problems };
}

/** The repository and the programs, judged as the commands will need them. */
export function hostReadiness(config: AgentConfig, searchPath: string): Findings {
  const parts = [repositoryFindings(config), programFindings(config, searchPath)];
  return { facts: parts.flatMap((p) => p.facts), problems: parts.flatMap((p) => p.problems) };
}
