// How a request that failed is answered: the API's one error shape ({error, message}, docs/api.md),
// whatever failed, the route's schema, the body parser or the dashboard itself.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** An error's message; a field that should not be there is named, as ajv's own message does not. */
function describeError(error: FastifyError): string {
  const extra = error.validation?.map((issue) => issue.params?.additionalProperty).filter((name) => typeof name === 'string');
  return extra && extra.length > 0 ? `${error.message}: ${extra.map((name) => `"${name}"`).join(', ')}` : error.message;
}

export function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, 'request failed');
  const code = error.validation ? 'bad_request' : status === 500 ? 'internal' : (error.code ?? 'bad_request').toLowerCase();
  return reply.code(status).send({ error: code, message: status === 500 ? 'internal error' : describeError(error) });
}
