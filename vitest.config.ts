import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Unit tests first, then the integration group (groups may use different worker counts).
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          // Integration and end-to-end tests share one real environment per run (the node is
          // only needed by test/e2e, but starting it costs seconds).
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/integration/print-logs-on-failure.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Four files at once on two cores: most end-to-end files spend their time waiting for
          // schedule ticks, Pods and rollouts, not computing; run one after another they would
          // take most of the suite's time.
          maxWorkers: 4,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
