// What the routes share: the served model once it is loaded and warm, the server's limits, and the
// lookup of a /v2/models/{name}[/versions/{version}] path that answers 404 or 503 as the protocol does.
import type { Batcher } from './batcher.ts';
import { HttpError } from './http-error.ts';
import type { ImageClassifier } from './image-classifier.ts';
import type { Model } from './model.ts';
import type { Signature } from './signature.ts';

export interface ServedModel {
  model: Model;
  batcher: Batcher;
  signature: Signature;
  classifier?: ImageClassifier;
  sha256: string;
}

export interface ServingState {
  name: string;
  version: string;
  /** Set when the model is loaded and warmed up. */
  served?: ServedModel;
  /** Set on SIGTERM: readiness fails so traffic moves away while in-flight requests finish. */
  draining: boolean;
  maxTensorElements: number;
  timeoutMs: number;
}

export interface ModelParams {
  name: string;
  version?: string;
}

/** The served model named by the path, or the 404/503 a client should see. */
export function servedModel(state: ServingState, params: ModelParams): ServedModel {
  if (params.name !== state.name)
    throw new HttpError(404, `model '${params.name}' is not served here; this server serves '${state.name}'`);
  if (params.version !== undefined && params.version !== state.version)
    throw new HttpError(
      404,
      `version '${params.version}' of model '${state.name}' is not served here; this server serves version ${state.version}`,
    );
  if (!state.served)
    throw new HttpError(503, `model '${state.name}' is still loading`, { 'retry-after': '1' });
  return state.served;
}

/**
 * Runs `work` with the request's time limit. `work` gets the deadline (on performance.now()'s clock)
 * so queued steps can drop a request whose time is up; a plain timer and number cost a fraction of
 * an AbortController and Promise.race, which showed in every request's allocations.
 */
export function withTimeout<T>(timeoutMs: number, work: (deadline: number) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeLimitExceeded(timeoutMs)), timeoutMs);
    work(performance.now() + timeoutMs).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof DeadlinePassed ? timeLimitExceeded(timeoutMs) : error);
      },
    );
  });
}

function timeLimitExceeded(timeoutMs: number): HttpError {
  return new HttpError(
    504,
    `the request did not finish within ${timeoutMs / 1000} s, the server's time limit`,
  );
}

/** Thrown by a step that finds the deadline passed before its timer has fired; answered as 504. */
export class DeadlinePassed extends Error {
  override name = 'DeadlinePassed';
}
