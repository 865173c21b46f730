import { describe, expect, it } from "vitest";
import type { CoreFunctionMetadata } from "../../../dev/runner/registration.ts";
import { toRegisteredFunction } from "../../../dev/runner/registration.ts";

describe("toRegisteredFunction", () => {
  const handler = () => undefined;
  it("needs exactly one trigger", () => {
    const metadata: CoreFunctionMetadata = {
      name: "x",
      bindings: { a: { type: "queue", direction: "out" } },
    };
    expect(() => toRegisteredFunction(metadata, handler)).toThrow(/exactly one trigger/);
  });

  it("needs a queue name for queue triggers", () => {
    const metadata: CoreFunctionMetadata = {
      name: "q",
      bindings: { t: { type: "queueTrigger", direction: "in" } },
    };
    expect(() => toRegisteredFunction(metadata, handler)).toThrow(/queueName/);
  });

  it("defaults the connection to undefined (meaning AzureWebJobsStorage)", () => {
    const fn = toRegisteredFunction(
      { name: "q", bindings: { t: { type: "queueTrigger", direction: "in", queueName: "jobs" } } },
      handler,
    );
    expect(fn.trigger).toEqual({ kind: "queue", bindingName: "t", queueName: "jobs", connection: undefined });
  });
});
