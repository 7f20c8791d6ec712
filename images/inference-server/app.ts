// The HTTP server: Open Inference Protocol v2 routes, the image and feedback routes, health,
// metrics and API docs; authentication, the accepted Content-Types, the concurrency caps, JSON errors
// and one access log line per request. Bodies are read as bytes and parsed by the routes, so every
// error names the problem.
import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { TokenAuth } from './auth.ts';
import { registerClassifyRoute } from './classify-route.ts';
import { registerFeedbackRoute } from './feedback-route.ts';
import { HttpError } from './http-error.ts';
import { registerInferRoute } from './infer-route.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { TensorSpec } from './model.ts';
import { openApiDocument } from './openapi.ts';
import type { PredictionLog } from './prediction-log.ts';
import { type ModelParams, type ServingState, servedModel } from './serving-state.ts';

export const SERVER_NAME = 'bosun-inference-server';
export const SERVER_VERSION = '0.1.0';

export interface AppOptions {
  state: ServingState;
  log: Logger;
  metrics: Metrics;
  maxRequestBytes: number;
  maxConcurrency: number;
  auth?: TokenAuth;
  predictionLog?: PredictionLog;
  storeInputs?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counts against the prediction concurrency cap. */
    prediction?: boolean;
    /** Counts against the feedback cap, apart from predictions so that neither starves the other. */
    feedback?: boolean;
    /** Needs a bearer token when authentication is on. */
    auth?: boolean;
    /** The media types the body may be sent as (no Content-Type is accepted too); others get 415. */
    accepts?: readonly string[];
  }
}

/** Feedback calls in flight before new ones get 503: each holds a database connection or waits for one. */
export const MAX_FEEDBACK_IN_FLIGHT = 32;

/** The media type of a Content-Type header, lowercase and without parameters; undefined when absent. */
function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request ids the server makes up: a random prefix drawn at start and a sequence number, unique
 * across replicas and restarts like a UUID, without building one per request (a UUID's string
 * was a twentieth of a small request's allocations).
 */
function requestIds(): () => string {
  const prefix = randomBytes(8).toString('hex');
  let sequence = 0;
  return () => `${prefix}-${(++sequence).toString(36)}`;
}

const metadataOf = (t: TensorSpec) => ({
  name: t.name,
  datatype: t.datatype,
  shape: t.shape.map((d) => (typeof d === 'number' ? d : -1)),
});

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const { state, metrics } = o;
  const nextRequestId = requestIds();
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    // One access line per request, written in onResponse with the route and duration.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.maxRequestBytes,
    // A client that sends its request too slowly gets 408 instead of holding a connection.
    requestTimeout: state.timeoutMs,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextRequestId();
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  let inFlight = 0;
  let feedbackInFlight = 0;
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    reply.header('x-request-id', request.id);
    // While draining, every answer ends its connection: a keep-alive client reconnects (to a
    // server that stays) instead of reusing a socket this server is about to close.
    if (state.draining) reply.header('connection', 'close');
    const config = request.routeOptions.config;
    if (config.auth && o.auth) {
      const client = o.auth.check(request.headers.authorization);
      if (!client)
        throw new HttpError(401, 'a valid bearer token is required: send Authorization: Bearer <token>', {
          'www-authenticate': 'Bearer realm="bosun"',
        });
      request.log = request.log.child({ client });
    }
    if (config.accepts) {
      // Checked before the body is read: a body the route cannot take is not worth receiving.
      const type = mediaType(request.headers['content-type']);
      if (type !== undefined && !config.accepts.includes(type))
        throw new HttpError(
          415,
          `Content-Type ${type} is not accepted here; send ${config.accepts.join(', ')} (or no Content-Type)`,
        );
    }
    if (config.feedback) {
      if (feedbackInFlight >= MAX_FEEDBACK_IN_FLIGHT) {
        metrics.rejected.inc({ reason: 'feedback_concurrency' });
        throw new HttpError(
          503,
          `the server is at its limit of ${MAX_FEEDBACK_IN_FLIGHT} feedback calls in flight; retry shortly`,
          { 'retry-after': '1' },
        );
      }
      feedbackInFlight++;
      reply.raw.on('close', () => {
        feedbackInFlight--;
      });
    }
    if (config.prediction) {
      if (inFlight >= o.maxConcurrency) {
        metrics.rejected.inc({ reason: 'concurrency' });
        throw new HttpError(
          503,
          `the server is at its limit of ${o.maxConcurrency} requests in flight; retry shortly`,
          {
            'retry-after': '1',
          },
        );
      }
      inFlight++;
      metrics.inFlight.set(inFlight);
      // 'close' fires once, for finished and aborted responses alike, so the count cannot leak.
      reply.raw.on('close', () => {
        inFlight--;
        metrics.inFlight.set(inFlight);
      });
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { model: state.name, route, status: String(reply.statusCode) };
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc(labels);
    metrics.latency.observe(labels, seconds);
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.status === 504) metrics.rejected.inc({ reason: 'timeout' });
      return reply.code(error.status).headers(error.headers).send({ error: error.message });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return reply.code(status).send({ error: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send({ error: `internal error; the server log has the details (request id ${request.id})` });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(swagger, { mode: 'static', specification: { document: openApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    const ready = state.served !== undefined && !state.draining;
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/v2', async () => ({
    name: SERVER_NAME,
    version: SERVER_VERSION,
    extensions: ['binary_tensor_data', 'image_classification', 'prediction_feedback'],
  }));
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const modelRoute = { config: { auth: true } };
  const metadata = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    const { model, signature, sha256 } = servedModel(state, request.params);
    return {
      name: state.name,
      versions: [state.version],
      platform: 'onnxruntime_onnx',
      inputs: model.inputs.map(metadataOf),
      outputs: model.outputs.map(metadataOf),
      parameters: {
        sha256,
        ...(signature.labels ? { labels: signature.labels.join(',') } : {}),
        max_batch_size: state.served?.batcher.enabled ? state.served.batcher.maxBatchSize : 0,
      },
    };
  };
  app.get('/v2/models/:name', modelRoute, metadata);
  app.get('/v2/models/:name/versions/:version', modelRoute, metadata);
  const ready = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    servedModel(state, request.params);
    if (state.draining) throw new HttpError(503, 'the server is shutting down');
    return { name: state.name, ready: true };
  };
  app.get('/v2/models/:name/ready', modelRoute, ready);
  app.get('/v2/models/:name/versions/:version/ready', modelRoute, ready);

  registerInferRoute(app, state, o.predictionLog);
  registerClassifyRoute(app, state, o.predictionLog, o.storeInputs ?? false);
  registerFeedbackRoute(app, state, o.predictionLog);
  return app;
}
