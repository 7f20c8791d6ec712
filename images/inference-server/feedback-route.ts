// POST /v2/models/{name}/predictions/{id}/feedback {"label": "..."}: records the true label of a
// logged prediction and marks it verified, so a Dataset's postgres source collects it. Feedback has
// its own concurrency cap: a burst of it cannot take the slots of predictions, nor the reverse.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, HttpError } from './http-error.ts';
import { parseJsonBody } from './infer-request.ts';
import type { PredictionLog } from './prediction-log.ts';
import { type ServingState, servedModel } from './serving-state.ts';

const PREDICTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d{1,10})?$/;
const MAX_LABEL_LENGTH = 253;

export function registerFeedbackRoute(
  app: FastifyInstance,
  state: ServingState,
  predictionLog?: PredictionLog,
): void {
  app.post(
    '/v2/models/:name/predictions/:id/feedback',
    { config: { feedback: true, auth: true, accepts: ['application/json'] } },
    async (request: FastifyRequest<{ Params: { name: string; id: string } }>) => {
      const { signature } = servedModel(state, { name: request.params.name });
      if (!predictionLog)
        throw new HttpError(
          404,
          'feedback needs the prediction log, which this server does not have (spec.predictionLog)',
        );
      const { id } = request.params;
      if (!PREDICTION_ID.test(id)) throw badRequest(`${JSON.stringify(id)} is not a prediction id`);
      const body = parseJsonBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
      const label = (body as { label?: unknown } | null)?.label;
      if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_LENGTH)
        throw badRequest(
          `the body must be {"label": "<the true label>"}, a string of 1 to ${MAX_LABEL_LENGTH} characters`,
        );
      if (signature.labels && !signature.labels.includes(label))
        throw badRequest(
          `label ${JSON.stringify(label)} is not one of the model's labels: ${signature.labels.slice(0, 20).join(', ')}${signature.labels.length > 20 ? ', ...' : ''}`,
        );
      let result: Awaited<ReturnType<PredictionLog['feedback']>>;
      try {
        result = await predictionLog.feedback(id, label);
      } catch (e) {
        request.log.error({ err: (e as Error).message }, 'feedback write failed');
        throw new HttpError(503, 'the prediction log is unavailable; try again later', {
          'retry-after': '5',
        });
      }
      if (!result) throw new HttpError(404, `no prediction with id ${id} is logged`);
      return {
        id: result.id,
        label: result.label,
        predicted_label: result.predictedLabel,
        verified: result.verified,
        verified_at: result.verifiedAt.toISOString(),
      };
    },
  );
}
