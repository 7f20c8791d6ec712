// Prometheus metrics of one server: requests and latency by model, route and status, batch sizes,
// queue depth, in-flight requests, and the prediction log's writes and drops.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchObserver } from './batcher.ts';
import type { PredictionLogObserver } from './prediction-log.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'route' | 'status'>;
  readonly latency: Histogram<'model' | 'route' | 'status'>;
  readonly inFlight: Gauge;
  readonly rejected: Counter<'reason'>;
  readonly batchObserver: BatchObserver;
  readonly predictionLogObserver: PredictionLogObserver;

  constructor(model: string) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'bosun_inference_requests_total',
      help: 'HTTP requests answered, by model, route and status code.',
      labelNames: ['model', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'bosun_inference_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer, by model, route and status code.',
      labelNames: ['model', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'bosun_inference_in_flight_requests',
      help: 'Prediction requests being processed.',
      registers,
    });
    this.rejected = new Counter({
      name: 'bosun_inference_rejected_total',
      help: 'Requests refused before processing: a concurrency limit (predictions or feedback) or the time limit.',
      labelNames: ['reason'],
      registers,
    });
    const batchSize = new Histogram({
      name: 'bosun_inference_batch_size',
      help: 'Rows per model run.',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    const queueDepth = new Gauge({
      name: 'bosun_inference_queue_depth',
      help: 'Requests waiting to be batched.',
      labelNames: ['model'],
      registers,
    });
    this.batchObserver = {
      batch: (size) => batchSize.observe({ model }, size),
      queueDepth: (depth) => queueDepth.set({ model }, depth),
    };
    const written = new Counter({
      name: 'bosun_prediction_log_written_total',
      help: 'Predictions written to the prediction log.',
      registers,
    });
    const dropped = new Counter({
      name: 'bosun_prediction_log_dropped_total',
      help: 'Predictions not logged: the queue was full or the write failed.',
      labelNames: ['reason'],
      registers,
    });
    const logQueue = new Gauge({
      name: 'bosun_prediction_log_queue_depth',
      help: 'Predictions waiting to be written to the prediction log.',
      registers,
    });
    this.predictionLogObserver = {
      written: (n) => written.inc(n),
      dropped: (n, reason) => dropped.inc({ reason }, n),
      queueDepth: (n) => logQueue.set(n),
    };
  }
}
