// POST /v2/models/{name}[/versions/{version}]/infer: JSON tensors, or the binary tensor data
// extension (Inference-Header-Content-Length: the JSON header's size; raw tensor bytes follow).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from './http-error.ts';
import { decodeInferRequest, parseJsonBody } from './infer-request.ts';
import { encodeInferResponse } from './infer-response.ts';
import type { PredictionLog } from './prediction-log.ts';
import { inferRows } from './prediction-rows.ts';
import { type ModelParams, type ServingState, servedModel, withTimeout } from './serving-state.ts';

export const HEADER_LENGTH = 'inference-header-content-length';
/** JSON, or the binary extension's JSON header and tensor bytes. */
const INFER_MEDIA_TYPES = ['application/json', 'application/octet-stream'];

function splitBody(request: FastifyRequest): { json: unknown; binary?: Buffer } {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const raw = request.headers[HEADER_LENGTH];
  if (raw === undefined) return { json: parseJsonBody(body) };
  const length = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || length < 1 || length > body.length)
    throw badRequest(
      `${HEADER_LENGTH} must be the size of the JSON header in bytes, between 1 and the body's ${body.length}; got ${JSON.stringify(raw)}`,
    );
  return { json: parseJsonBody(body.subarray(0, length)), binary: body.subarray(length) };
}

export function registerInferRoute(
  app: FastifyInstance,
  state: ServingState,
  predictionLog?: PredictionLog,
): void {
  const handler = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const { model, batcher } = servedModel(state, request.params);
    const { json, binary } = splitBody(request);
    const infer = decodeInferRequest(json, model, { maxTensorElements: state.maxTensorElements }, binary);
    const results = await withTimeout(state.timeoutMs, (deadline) => batcher.run(infer.feeds, deadline));
    const head: Parameters<typeof encodeInferResponse>[0] = {
      model_name: state.name,
      model_version: state.version,
    };
    if (infer.id !== undefined) head.id = infer.id;
    if (predictionLog) {
      const logged = inferRows(
        { model: state.name, modelVersion: state.version, requestId: String(request.id) },
        infer.feeds,
        results,
        model.batchable,
      );
      for (const row of logged.rows) predictionLog.record({ row });
      head.parameters = { prediction_id: logged.predictionId };
    }
    const encoded = encodeInferResponse(head, infer.outputs, results);
    if (encoded.kind === 'json') return encoded.body;
    reply.header(HEADER_LENGTH, String(encoded.headerLength)).type('application/octet-stream');
    return encoded.body;
  };
  const options = { config: { prediction: true, auth: true, accepts: INFER_MEDIA_TYPES } };
  app.post('/v2/models/:name/infer', options, handler);
  app.post('/v2/models/:name/versions/:version/infer', options, handler);
}
