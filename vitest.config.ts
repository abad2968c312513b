import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['test/detector/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/detector/**/*.db.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: [
            'test/build/**/*.test.ts',
            'test/runtime/**/*.test.ts',
            'test/registry/**/*.test.ts',
            'test/scenarios/**/*.test.ts',
            'test/client/**/*.test.ts',
            'test/install/**/*.test.ts',
            'test/reliability/**/*.test.ts',
            'test/package/**/*.test.ts',
            'test/detector/**/*.db.test.ts',
          ],
          environment: 'node',
          // Starts (and if needed installs) the local PostgreSQL and builds
          // the migrated template database that every test file clones.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // 2 cores: files run two at a time, each in its own database.
          maxWorkers: 2,
        },
      },
    ],
  },
});
