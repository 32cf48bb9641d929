// `test`: every executable hosts/<hostname>/tests/*.sh of the repository, in name order. Each one's
// result goes to the dashboard as it comes (test_progress); the status names the ones that failed.
import fs from 'node:fs';
import path from 'node:path';
import { failed, ok, succeeded, type CommandContext, type CommandDefinition, type CommandOutcome } from './context.js';

interface TestResult {
  name: string;
  passed: boolean;
  exit_code: number | null;
}

function testScripts(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.sh'))
    .sort()
    .map((name) => path.join(dir, name))
    .filter((file) => {
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

async function runTests(ctx: CommandContext): Promise<CommandOutcome> {
  const dir = path.join(ctx.config.repoDir, 'hosts', ctx.config.hostname, 'tests');
  const scripts = testScripts(dir);
  if (scripts.length === 0) {
    ctx.updates.set('tests', 'unknown', `no executable tests in ${dir}`);
    return ok(`no executable tests in hosts/${ctx.config.hostname}/tests`);
  }
  const results: TestResult[] = [];
  const total = scripts.length;
  for (const [index, script] of scripts.entries()) {
    if (ctx.stopRequested) break;
    const name = path.basename(script);
    const passed = results.filter((r) => r.passed).length;
    ctx.testProgress({ current: index, total, passed, running: name });
    const result = await ctx.run({ argv: [script] });
    const entry = { name, passed: succeeded(result), exit_code: result.exitCode };
    results.push(entry);
    const passedNow = results.filter((r) => r.passed).length;
    ctx.testProgress({ current: index + 1, total, passed: passedNow, running: false, result: entry });
    ctx.progress({ tests: { current: index + 1, total, status: 'running', results } });
  }
  const failures = results.filter((r) => !r.passed).map((r) => r.name);
  const status = failures.length === 0 ? 'ok' : 'error';
  ctx.progress({ tests: { current: results.length, total, status, results } });
  if (failures.length === 0) {
    ctx.updates.set('tests', 'ok', `${total} passed`);
    return ok(`${total} test${total === 1 ? '' : 's'} passed`);
  }
  const message = `${failures.length} of ${total} tests failed: ${failures.join(', ')}`;
  ctx.updates.set('tests', 'error', message);
  return failed(message, 1);
}

export const test: CommandDefinition = { run: runTests };
