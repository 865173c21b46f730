import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { FunctionRegistry, installFunctionsCore } from "../../../dev/runner/functions-core.ts";

const require = createRequire(import.meta.url);

describe("the @azure/functions-core provider", () => {
  // Installed before @azure/functions is first used in this file (the library caches the lookup).
  const { registry, uninstall } = installFunctionsCore(new FunctionRegistry());
  afterAll(() => uninstall());

  it("captures real app.http / app.storageQueue registrations", () => {
    const { app, output } = require("@azure/functions") as typeof import("@azure/functions");
    const httpHandler = async () => ({ status: 202 });
    const queueHandler = async () => {};
    app.http("ownerChangesPost", {
      route: "owner-changes",
      methods: ["POST"],
      authLevel: "function",
      handler: httpHandler,
    });
    app.get("health", { route: "health", authLevel: "anonymous", handler: httpHandler });
    app.http("defaults", { handler: httpHandler });
    app.storageQueue("worker", {
      queueName: "%OWNER_CHANGE_JOBS_QUEUE%",
      connection: "AzureWebJobsStorage",
      extraOutputs: [output.storageQueue({ queueName: "audit", connection: "AzureWebJobsStorage" })],
      handler: queueHandler,
    });
    app.timer("nightly", { schedule: "0 0 2 * * *", runOnStartup: true, handler: async () => {} });
    app.cosmosDB("changes", {
      connection: "Cosmos",
      databaseName: "db",
      containerName: "c",
      handler: async () => {},
    });

    const byName = Object.fromEntries(registry.functions.map((f) => [f.name, f]));
    expect(byName.ownerChangesPost?.trigger).toMatchObject({
      kind: "http",
      route: "owner-changes",
      methods: ["POST"],
      authLevel: "function",
    });
    expect(byName.ownerChangesPost?.handler).toBe(httpHandler);
    expect(byName.ownerChangesPost?.options.return?.type).toBe("http");
    expect(byName.health?.trigger).toMatchObject({ kind: "http", methods: ["GET"], authLevel: "anonymous" });
    // The library defaults: GET+POST, anonymous; the host defaults the route to the function name.
    expect(byName.defaults?.trigger).toMatchObject({
      route: "defaults",
      methods: ["GET", "POST"],
      authLevel: "anonymous",
    });
    expect(byName.worker?.trigger).toMatchObject({
      kind: "queue",
      queueName: "%OWNER_CHANGE_JOBS_QUEUE%",
      connection: "AzureWebJobsStorage",
    });
    expect(byName.worker?.options.extraOutputs).toEqual([
      expect.objectContaining({ type: "queue", queueName: "audit", direction: "out" }),
    ]);
    expect(byName.nightly?.trigger).toMatchObject({
      kind: "timer",
      schedule: "0 0 2 * * *",
      runOnStartup: true,
    });
    expect(byName.changes?.trigger).toMatchObject({ kind: "unsupported", type: "cosmosDBTrigger" });
    expect(registry.programmingModel).toMatchObject({ name: "@azure/functions" });
  });

  it("refuses a second function with the same name, like the worker", () => {
    const { app } = require("@azure/functions") as typeof import("@azure/functions");
    expect(() => app.http("ownerChangesPost", { handler: async () => ({}) })).toThrow(
      /already been registered/,
    );
  });

  it("records hooks and returns disposables", async () => {
    const { app } = require("@azure/functions") as typeof import("@azure/functions");
    const seen: string[] = [];
    const disposable = app.hook.appStart((context) => {
      seen.push(typeof context.hookData);
    });
    await registry.runAppHooks("appStart", process.cwd());
    disposable.dispose();
    await registry.runAppHooks("appStart", process.cwd());
    expect(seen).toEqual(["object"]);
  });

  it("resolves the module id through require", () => {
    const core = require("@azure/functions-core") as { registerFunction: unknown; log: unknown };
    expect(typeof core.registerFunction).toBe("function");
    expect(typeof core.log).toBe("function");
  });
});
