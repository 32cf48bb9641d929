// What most browser tests share: a real dashboard and Chromium, started before a file's tests; one
// page logged in to it whose errors are watched; the test agents the tests connect. All of it is
// stopped after the file's tests.
import { after, before } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { startTestDashboard, type TestDashboard } from '../../helpers/dashboard.js';
import type { TestSocket } from '../../helpers/sockets.js';
import { startAgent } from './agent-script.js';
import { buildWebClient, hostRow, launchChromium, logIn, openPage, type WatchedPage } from './browser.js';

export interface WatchedDashboardOptions {
  /**
   * The dashboard's settings; a function when they come from something made first (it runs in the
   * `before`). A file's own `before` would not do: Node runs a file's `before` hooks at once, not in turn.
   */
  env?: Record<string, string> | (() => Record<string, string>);
  /** How the watched page's browser context is opened. */
  page?: BrowserContextOptions;
  /** Called with the watched page before it logs in (to listen to its socket from the start). */
  beforeLogIn?(page: Page): void;
  /** What the file's tests need once the page is logged in (an agent, a session), in the same `before`. */
  afterLogIn?(fleet: WatchedDashboard): Promise<void>;
}

interface Started {
  t: TestDashboard;
  browser: Browser;
  watched: WatchedPage;
}

export class WatchedDashboard {
  private started: Started | null = null;
  private readonly closing: { close(): Promise<unknown> }[] = [];

  constructor(options: WatchedDashboardOptions) {
    before(async () => {
      buildWebClient();
      const env = typeof options.env === 'function' ? options.env() : (options.env ?? {});
      const [t, browser] = await Promise.all([startTestDashboard(env), launchChromium()]);
      const watched = await openPage(browser, options.page);
      this.started = { t, browser, watched };
      options.beforeLogIn?.(watched.page);
      await logIn(watched.page, t.url);
      await options.afterLogIn?.(this);
    });
    after(async () => {
      await Promise.all(this.closing.map((socket) => socket.close()));
      const started = this.started;
      this.started = null;
      await started?.browser.close();
      await started?.t.close();
    });
  }

  get t(): TestDashboard {
    return this.now().t;
  }

  get browser(): Browser {
    return this.now().browser;
  }

  get watched(): WatchedPage {
    return this.now().watched;
  }

  /** Closes `socket` after the file's tests, before the dashboard. */
  keep<T extends { close(): Promise<unknown> }>(socket: T): T {
    this.closing.push(socket);
    return socket;
  }

  /** A v1 test agent (startAgent), registered and heartbeating; kept until the file's tests end. */
  async connect(hostname: string, extra: Record<string, unknown> = {}, heartbeat: Record<string, unknown> = {}): Promise<TestSocket> {
    return this.keep(await startAgent(this.t.wsUrl, hostname, extra, heartbeat));
  }

  /** As `connect`, once the page shows the host online. */
  async agent(hostname: string, extra: Record<string, unknown> = {}, heartbeat: Record<string, unknown> = {}): Promise<TestSocket> {
    const socket = await this.connect(hostname, extra, heartbeat);
    await hostRow(this.watched.page, hostname).locator('.badge.presence-online').waitFor();
    return socket;
  }

  private now(): Started {
    if (!this.started) throw new Error('the dashboard and the browser start in `before`: use them inside a test');
    return this.started;
  }
}

/** Registers the `before` and `after` of a file whose tests use one dashboard, one browser and one watched page. */
export function watchedDashboard(options: WatchedDashboardOptions = {}): WatchedDashboard {
  return new WatchedDashboard(options);
}
