// Starts one inference server: HTTP first (liveness answers while the model downloads), then the
// model fetched and digest-checked, loaded, warmed up, and only then ready. Shutdown drains.
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { ArtifactStore } from '../../lib/store/client.ts';
import { buildApp } from './app.ts';
import { TokenAuth } from './auth.ts';
import { Batcher } from './batcher.ts';
import type { ServerConfig } from './config.ts';
import { ImageClassifier } from './image-classifier.ts';
import type { Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { Model } from './model.ts';
import { fetchModel } from './model-source.ts';
import { PredictionLog } from './prediction-log.ts';
import type { ServingState } from './serving-state.ts';
import { parseSignature, withOverrides } from './signature.ts';

/** How much later than statement_timeout the client gives up on a query itself. */
const QUERY_TIMEOUT_MARGIN_MS = 2000;

export interface RunningServer {
  app: FastifyInstance;
  /** http://host:port the server listens on. */
  url: string;
  state: ServingState;
  /** Resolves when the model is loaded and the server is ready; rejects when loading fails. */
  loaded: Promise<void>;
  /** Fails readiness, waits `delayMs`, stops accepting, lets in-flight requests finish, flushes the log. */
  shutdown(delayMs?: number): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const state: ServingState = {
    name: config.modelName,
    version: config.modelVersion,
    draining: false,
    maxTensorElements: config.maxTensorElements,
    timeoutMs: config.timeoutMs,
  };
  const metrics = new Metrics(config.modelName);
  const store = config.store ? new ArtifactStore(config.store) : undefined;
  const auth = config.authTokensDir ? await TokenAuth.fromDirectory(config.authTokensDir) : undefined;
  const reloadTokens = auth
    ? setInterval(
        () => auth.reload().catch((e) => log.warn({ err: (e as Error).message }, 'cannot re-read tokens')),
        30_000,
      )
    : undefined;
  reloadTokens?.unref();
  let predictionLog: PredictionLog | undefined;
  if (config.predictionLog) {
    const { connectTimeoutMs, statementTimeoutMs } = config.predictionLog;
    // Every wait on the database is bounded: a hung or unreachable server fails a write or a
    // feedback call in seconds instead of holding them. The client-side query timeout backs up
    // statement_timeout for a server that stops answering altogether; a connection it gives up on
    // is discarded by the pool.
    const pool = new pg.Pool({
      connectionString: config.predictionLog.url,
      max: 2,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
    });
    // An idle connection that breaks must not take the process down.
    pool.on('error', (e) => log.warn({ err: e.message }, 'prediction log connection error'));
    predictionLog = new PredictionLog({
      pool,
      table: config.predictionLog.table,
      ...(config.predictionLog.storeInputs && store ? { store } : {}),
      namespace: config.namespace,
      maxQueue: config.predictionLog.maxQueue,
      log,
      observer: metrics.predictionLogObserver,
    });
  }
  const app = await buildApp({
    state,
    log,
    metrics,
    maxRequestBytes: config.maxRequestBytes,
    maxConcurrency: config.maxConcurrency,
    ...(auth ? { auth } : {}),
    ...(predictionLog ? { predictionLog } : {}),
    storeInputs: config.predictionLog?.storeInputs ?? false,
  });
  const url = await app.listen({ host: config.host, port: config.port });

  let model: Model | undefined;
  const loaded = (async () => {
    const started = Date.now();
    const fetched = await fetchModel(config.model, config.modelSha256, config.workDir, store);
    const signature = withOverrides(parseSignature(fetched.signature), config.preprocessing);
    model = await Model.load(fetched.path, {
      intraOpThreads: config.intraOpThreads,
      interOpThreads: config.interOpThreads,
    });
    const classifier = ImageClassifier.forModel(model, signature);
    await model.warmUp();
    if (classifier) {
      // Warm the image path too: both decoders load their codecs on first use.
      const sharp = (await import('sharp')).default;
      const blank = sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } });
      const warm = new Batcher(model, { maxBatchSize: 1, windowMs: 0 });
      for (const image of [await blank.clone().png().toBuffer(), await blank.clone().jpeg().toBuffer()])
        await classifier.classify(image, 1, warm);
    }
    if (predictionLog) await predictionLog.ensureTable();
    const batcher = new Batcher(
      model,
      { maxBatchSize: config.maxBatchSize, windowMs: config.batchWindowMs },
      metrics.batchObserver,
    );
    state.served = {
      model,
      batcher,
      signature,
      sha256: config.modelSha256,
      ...(classifier ? { classifier } : {}),
    };
    log.info(
      {
        model: config.modelName,
        version: config.modelVersion,
        inputs: model.inputs,
        outputs: model.outputs,
        batching: batcher.enabled
          ? { maxBatchSize: config.maxBatchSize, windowMs: config.batchWindowMs }
          : false,
        imageClassifier: classifier !== undefined,
        seconds: (Date.now() - started) / 1000,
      },
      'model ready',
    );
  })();
  loaded.catch(() => undefined);

  return {
    app,
    url,
    state,
    loaded,
    async shutdown(delayMs = 0) {
      state.draining = true;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await app.close();
      if (reloadTokens) clearInterval(reloadTokens);
      await predictionLog?.close();
      await model?.release();
    },
  };
}
