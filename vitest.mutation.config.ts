import { defineConfig } from "vitest/config";

/**
 * The tests StrykerJS runs against each mutant (stryker.config.json): the unit tests of the pure cores it
 * mutates, and nothing else. Integration tests start azurite and child processes, which would make every
 * mutant take seconds, and would let a core's score rest on tests that do not state its behaviour. No JSON
 * reporter either, so a mutation run never overwrites the report CI counts.
 */
export default defineConfig({
  test: {
    name: "mutation",
    environment: "node",
    include: [
      "test/unit/itwin/pacing.test.ts",
      "test/unit/itwin/budget-split.test.ts",
      "test/unit/coordination/admission.test.ts",
      "test/unit/coordination/membership.test.ts",
      "test/unit/coordination/registry-health.test.ts",
      "test/unit/itwin/retry-timing.test.ts",
      "test/unit/changes/policy.test.ts",
      "test/unit/changes/service-client-policy.test.ts",
      "test/unit/changes/status.test.ts",
      "test/unit/changes/intake.test.ts",
      "test/unit/changes/intake-http.test.ts",
      "test/unit/changes/accept.test.ts",
    ],
  },
});
