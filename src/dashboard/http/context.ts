// What the HTTP routes are given: the dashboard's parts, read-only.
import type { FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { DashboardConfig } from '../config.js';
import type { Credentials } from '../auth/credentials.js';
import type { SessionBook } from '../auth/sessions.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { TotpGate } from '../auth/totp.js';
import type { Store } from '../store/store.js';
import type { Hub } from '../hub/hub.js';
import type { ApiTokenRecord, SessionRecord } from '../store/store.js';
import type { ApiTokens } from '../auth/api-tokens.js';

export interface DashboardContext {
  config: DashboardConfig;
  credentials: Credentials;
  store: Store;
  hub: Hub;
  sessions: SessionBook;
  loginLimiter: RateLimiter;
  /** Counts failed agent upgrades per address. */
  agentLimiter: RateLimiter;
  totp: TotpGate | null;
  apiTokens: ApiTokens;
  /** In a cluster: what an instance's front sends to be let into /internal/* routes. */
  internalSecret?: string;
}

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The live session of the request's cookie, or null. */
    session: SessionRecord | null;
    /** The API token of the request's `Authorization: Bearer` header, when it is a valid one. */
    apiToken: ApiTokenRecord | null;
  }
}
