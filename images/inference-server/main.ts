// The inference server image's entry point. Configuration comes from the BOSUN_* environment
// (docs/inference-server.md); a configuration or artifact problem exits 1 with a clear message
// in the log and the container's termination message.
import { writeFileSync } from 'node:fs';
import { UserError } from '../../lib/contract/errors.ts';
import { parseServerConfig } from './config.ts';
import { log } from './log.ts';
import { type RunningServer, startServer } from './server.ts';

function fail(e: unknown): never {
  const user = e instanceof UserError;
  const reason = user ? e.reason : 'InternalError';
  const message = (e as Error).message;
  if (user) log.error({ reason }, message);
  else log.error({ reason, err: e }, `the server failed: ${message}`);
  process.stderr.write(`error: ${message}\n`);
  try {
    writeFileSync(process.env.BOSUN_TERMINATION_LOG ?? '/dev/termination-log', `${reason}: ${message}`);
  } catch {
    // Outside Kubernetes there is no termination log; the log line says the same.
  }
  process.exit(1);
}

let server: RunningServer;
try {
  const config = parseServerConfig(process.env);
  server = await startServer(config, log);
  log.info({ url: server.url }, 'listening');
  server.loaded.catch(fail);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, delayMs: config.shutdownDelayMs }, 'shutting down: draining in-flight requests');
    server.shutdown(config.shutdownDelayMs).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (e) => fail(e),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (e) {
  fail(e);
}
