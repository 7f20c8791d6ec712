// Entry point of the operator image.
//   node operator/main.ts [flags]          the controller manager (see --help)
//   node operator/main.ts verify-artifact  the verification Job (env: operator/verifier/job-contract.ts)
import { ConfigError, loadConfig, usage } from './config.ts';
import { createLogger } from './log.ts';

async function runManager(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  // The Kubernetes client (0.4 s of CPU to load) and the manager module (with @dot-i/k8s-operator)
  // load only here: the verification Job, one Pod per ModelVersion, needs neither.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromCluster();
  const { OperatorManager } = await import('./manager.ts');
  const manager = new OperatorManager(config, kubeConfig, log);

  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    manager.shutdown().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // Since Node 15 an unhandled rejection kills the process; log it as what it is and exit deliberately.
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection');
    process.exit(1);
  });
  log.info(
    {
      identity: config.identity,
      watchNamespace: config.watchNamespace || '(all)',
      operatorNamespace: config.operatorNamespace,
      store: config.store.endpoint,
      concurrency: config.concurrency,
      leaderElection: config.leaderElection.enabled,
    },
    'starting',
  );
  await manager.start();
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'verify-artifact') {
  const { runVerifier } = await import('./verifier/main.ts');
  process.exitCode = await runVerifier(process.env);
} else {
  await runManager(command === undefined ? [] : [command, ...rest]);
}
