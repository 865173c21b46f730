import { describe, expect, it } from "vitest";
import { resolveQueueBindings } from "../../../dev/runner/queue-bindings.ts";
import { toRegisteredFunction } from "../../../dev/runner/registration.ts";

const handler = () => undefined;

function queueFunction(name: string, queueName: string, connection?: string) {
  return toRegisteredFunction(
    { name, bindings: { t: { type: "queueTrigger", direction: "in", queueName, connection } } },
    handler,
  );
}

const http = toRegisteredFunction(
  { name: "web", bindings: { req: { type: "httpTrigger", direction: "in", route: "x" } } },
  handler,
);

describe("resolveQueueBindings", () => {
  it("resolves %SETTING% queue names and the default connection, skipping other triggers", () => {
    const env = { OWNER_CHANGE_JOBS_QUEUE: "jobs-test", AzureWebJobsStorage: "UseDevelopmentStorage=true" };
    const bindings = resolveQueueBindings([http, queueFunction("worker", "%OWNER_CHANGE_JOBS_QUEUE%")], env);
    expect(bindings.map((b) => [b.fn.name, b.queueName, b.connection])).toEqual([
      [
        "worker",
        "jobs-test",
        {
          kind: "connectionString",
          settingName: "AzureWebJobsStorage",
          connectionString: "UseDevelopmentStorage=true",
        },
      ],
    ]);
  });

  it("stops start-up naming the function and what is wrong", () => {
    const storage = { AzureWebJobsStorage: "UseDevelopmentStorage=true" };
    expect(() => resolveQueueBindings([queueFunction("worker", "%MISSING%")], storage)).toThrow(
      /^function "worker": app setting "MISSING"/,
    );
    expect(() => resolveQueueBindings([queueFunction("intake", "Bad_Name")], storage)).toThrow(
      /^function "intake": "Bad_Name" is not a valid queue name/,
    );
    expect(() => resolveQueueBindings([queueFunction("intake", "jobs", "Other")], storage)).toThrow(
      /^function "intake": storage connection "Other" is not configured/,
    );
  });
});
