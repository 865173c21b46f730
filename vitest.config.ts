import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A JSON report too (git-ignored), from which .ci/run prints a plain "N passed, N failed" line.
    reporters: ["default", "json"],
    outputFile: { json: ".ci/results/vitest.json" },
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "dev/**/*.test.ts", "test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 90_000,
          // Each integration file starts its own azurite, simulator and runner on free ports.
          fileParallelism: false,
        },
      },
    ],
  },
});
