import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
    // each test file's temp dirs in one root, removed after the file (helpers/temp-root.ts)
    setupFiles: ['test/helpers/temp-root.ts'],
    globalSetup: ['test/helpers/global-setup.ts', 'test/s3/global-setup.ts', 'test/browser/global-setup.ts'],
    // the test helpers' own S3 clients: no SDK notice about future Node versions in the test log
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
