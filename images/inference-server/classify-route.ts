// POST /v2/models/{name}[/versions/{version}]/classify?top_k=K: a JPEG, PNG or WebP body in,
// the top K labels with their probabilities out.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, HttpError } from './http-error.ts';
import type { PredictionLog } from './prediction-log.ts';
import { classificationRow } from './prediction-rows.ts';
import { type ModelParams, type ServingState, servedModel, withTimeout } from './serving-state.ts';

const DEFAULT_TOP_K = 5;
/** The image's own type, or plain bytes: the format is recognised from the bytes either way. */
const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];

export function registerClassifyRoute(
  app: FastifyInstance,
  state: ServingState,
  predictionLog?: PredictionLog,
  storeInputs = false,
): void {
  const handler = async (
    request: FastifyRequest<{ Params: ModelParams; Querystring: Record<string, unknown> }>,
  ) => {
    const { classifier, batcher } = servedModel(state, request.params);
    if (!classifier)
      throw new HttpError(
        404,
        `model '${state.name}' is not an image classifier (it has no image preprocessing); use /infer with tensors`,
      );
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0)
      throw badRequest('the request body is empty: send the image bytes (JPEG, PNG or WebP)');
    const rawK = request.query.top_k;
    const topK = rawK === undefined ? Math.min(DEFAULT_TOP_K, classifier.labels.length) : Number(rawK);
    if (
      typeof rawK !== 'undefined' &&
      (typeof rawK !== 'string' || !/^\d+$/.test(rawK) || topK < 1 || topK > classifier.labels.length)
    )
      throw badRequest(
        `top_k must be an integer from 1 to ${classifier.labels.length} (the number of labels)`,
      );
    const result = await withTimeout(state.timeoutMs, (deadline) =>
      classifier.classify(body, topK, batcher, deadline),
    );
    const answer: Record<string, unknown> = {
      model_name: state.name,
      model_version: state.version,
      predictions: result.predictions,
    };
    if (predictionLog) {
      const row = classificationRow(
        { model: state.name, modelVersion: state.version, requestId: String(request.id) },
        result.predictions,
      );
      predictionLog.record(storeInputs ? { row, image: body } : { row });
      answer.prediction_id = row.id;
    }
    return answer;
  };
  const options = { config: { prediction: true, auth: true, accepts: IMAGE_MEDIA_TYPES } };
  app.post('/v2/models/:name/classify', options, handler);
  app.post('/v2/models/:name/versions/:version/classify', options, handler);
}
