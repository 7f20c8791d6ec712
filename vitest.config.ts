import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One real environment per run, shared by every integration file.
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/integration/print-logs-on-failure.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores: the servers need one of them.
          maxWorkers: 2,
        },
      },
    ],
  },
});
