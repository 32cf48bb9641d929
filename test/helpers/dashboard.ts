// Starts a real dashboard on an ephemeral loopback port with a temp data dir, and logs browsers in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type DashboardConfig } from '../../src/dashboard/config.js';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_AGENT_TOKEN = 'test-agent-token-0123456789';

export function tempDir(prefix = 'nixfleet-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment of a test dashboard; `env` overrides or adds variables. */
export function testEnv(dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NIXFLEET_LISTEN: '127.0.0.1:0',
    NIXFLEET_DATA_DIR: dataDir,
    NIXFLEET_PASSWORD: TEST_PASSWORD,
    NIXFLEET_AGENT_TOKEN: TEST_AGENT_TOKEN,
    NIXFLEET_SESSION_SECRET: 'test-session-secret-that-is-long-enough',
    NIXFLEET_LOG_LEVEL: process.env.NIXFLEET_LOG_LEVEL ?? 'silent',
    NIXFLEET_STORE_FLUSH_INTERVAL: '5ms',
    ...env,
  };
}

export interface TestDashboard {
  dashboard: Dashboard;
  config: DashboardConfig;
  url: string;
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestDashboard(env: Record<string, string> = {}, dataDir = tempDir()): Promise<TestDashboard> {
  const config = loadConfig(testEnv(dataDir, env));
  const dashboard = await startDashboard(config, { logger: pino({ level: config.logLevel }) });
  return {
    dashboard,
    config,
    url: dashboard.url,
    wsUrl: `${dashboard.url.replace(/^http/, 'ws')}/ws`,
    dataDir,
    close: () => dashboard.close(),
  };
}

export interface LoginResult {
  status: number;
  cookie: string | null;
  body: string;
  headers: Headers;
}

/** Posts the login form the way a browser does. */
export async function postLogin(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<LoginResult> {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('nixfleet_session='));
  return {
    status: response.status,
    cookie: setCookie ? (setCookie.split(';')[0] ?? null) : null,
    body: await response.text(),
    headers: response.headers,
  };
}

export interface Session {
  cookie: string;
  csrf: string;
}

/** Logs in with the test password; returns the cookie and the session's CSRF token. */
export async function login(url: string): Promise<Session> {
  const result = await postLogin(url, { password: TEST_PASSWORD });
  if (result.status !== 303 || !result.cookie) throw new Error(`login failed: ${result.status} ${result.body}`);
  const session = await fetch(`${url}/api/session`, { headers: { cookie: result.cookie } });
  const { csrf_token } = (await session.json()) as { csrf_token: string };
  return { cookie: result.cookie, csrf: csrf_token };
}

/** POST /api/hosts/:id/command as a logged-in admin. */
export async function sendCommand(url: string, session: Session, hostId: string, command: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/hosts/${encodeURIComponent(hostId)}/command`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ command }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
