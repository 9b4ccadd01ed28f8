import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "sdk/**/*.test.ts", "keeper/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests that start an in-process EDR chain are heavy; two cores, two workers.
    maxWorkers: 2,
  },
});
