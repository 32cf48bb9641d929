// The desired state over HTTP: what the dashboard believes hosts should run, and the forge's push
// webhook that makes it look again at once. The webhook is authenticated by its signature alone (no
// session, no CSRF token: a forge has neither), which needs the body exactly as it was sent.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DesiredState } from '../../protocol/model.js';
import type { App } from '../http/context.js';
import type { DesiredTracker } from './desired-tracker.js';
import { readWebhookEvent, verifyWebhook } from './webhook.js';

/** A push payload with many commits is some hundred kilobytes. */
export const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

export type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function desiredRoutes(app: App, tracker: DesiredTracker, webhookSecret: string | undefined, requireSession: PreHandler): void {
  app.get('/api/desired', { preHandler: requireSession, schema: { response: { 200: DesiredState } } }, async () => tracker.current());

  // A scope of its own: its body parser keeps the raw bytes, and the rest of the dashboard keeps JSON and forms.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    scope.post('/api/hooks/git', { bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verdict = verifyWebhook(request.headers, body, webhookSecret);
      if (!verdict.ok) {
        request.log.warn({ ip: request.ip, reason: verdict.message }, 'git webhook refused');
        return reply.code(401).send({ error: 'unauthorized', message: verdict.message });
      }
      const event = readWebhookEvent(request.headers, body);
      const watched = `refs/heads/${tracker.current().branch}`;
      switch (event.kind) {
        case 'ping':
          return reply.code(200).send({ status: 'pong' });
        case 'other':
          return reply.code(200).send({ status: 'ignored', message: `"${event.event}" is not a push` });
        case 'unreadable':
          return reply.code(400).send({ error: 'bad_request', message: event.message });
        case 'push':
          if (event.ref !== watched) return reply.code(200).send({ status: 'ignored', message: `a push to ${event.ref}; watching ${watched}` });
          request.log.info({ forge: verdict.forge, ref: event.ref }, 'git webhook: push, fetching');
          // The forge waits for the answer only seconds: the fetch goes on after it.
          void tracker.refresh('webhook');
          return reply.code(202).send({ status: 'accepted' });
      }
    });
  });
}
