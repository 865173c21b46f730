/**
 * A small Functions app for the runner's integration tests. It registers through the real
 * `@azure/functions` API, so the runner sees exactly what the host would.
 *
 * Settings (env): AzureWebJobsStorage, FIXTURE_RECORD_QUEUE, FIXTURE_FAIL_QUEUE, FIXTURE_SLOW_QUEUE,
 * FIXTURE_FORWARD_QUEUE, FIXTURE_FORWARD_OUT_QUEUE (used as %SETTING% expressions),
 * FIXTURE_OUT_QUEUE and FIXTURE_ATTEMPTS_QUEUE (where handlers record what they saw, as plain JSON).
 */
import { setTimeout as delay } from "node:timers/promises";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
// The classes are not visible as named ESM exports of the CJS bundle; use the default export.
import azureFunctions from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";

const { app, HttpResponse, output } = azureFunctions;

const connection = process.env.AzureWebJobsStorage ?? "";
const outQueue = process.env.FIXTURE_OUT_QUEUE ?? "fixture-out";
const attemptsQueue = process.env.FIXTURE_ATTEMPTS_QUEUE ?? "fixture-attempts";

async function record(queue: string, value: unknown): Promise<void> {
  const client = new QueueClient(connection, queue);
  await client.createIfNotExists();
  await client.sendMessage(JSON.stringify(value));
}

app.hook.appStart(() => {
  console.log("fixture appStart hook ran");
});

app.http("echo", {
  route: "echo/{name}",
  methods: ["GET", "POST"],
  authLevel: "function",
  handler: async (request: HttpRequest, context: InvocationContext) => {
    context.log(`echo for ${request.params.name}`);
    return {
      jsonBody: {
        name: request.params.name,
        params: request.params,
        query: Object.fromEntries(request.query.entries()),
        method: request.method,
        url: request.url,
        body: await request.text(),
        contentType: request.headers.get("content-type"),
        functionsKey: request.headers.get("x-functions-key"),
        invocationId: context.invocationId,
        functionName: context.functionName,
      },
    };
  },
});

app.http("echoSpecial", {
  route: "echo/special",
  methods: ["GET"],
  handler: () => ({ jsonBody: { special: true } }),
});

app.http("teapot", {
  route: "teapot",
  methods: ["GET"],
  handler: () =>
    new HttpResponse({ status: 418, body: "short and stout", headers: { "x-fixture": "teapot" } }),
});

app.http("noContent", {
  route: "nothing",
  methods: ["DELETE"],
  // Returning nothing is allowed at runtime (the host answers 204); the types insist on a response.
  handler: () => undefined as unknown as HttpResponseInit,
});

app.http("boom", {
  route: "boom",
  methods: ["GET"],
  handler: () => {
    throw new Error("kaboom: secret-detail");
  },
});

app.http("slow", {
  route: "slow",
  methods: ["GET"],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    context.log("slow request started");
    await delay(Number(request.query.get("ms") ?? "500"));
    return { body: "done" };
  },
});

app.storageQueue("record", {
  queueName: "%FIXTURE_RECORD_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: async (message: unknown, context: InvocationContext) => {
    await record(outQueue, {
      functionName: context.functionName,
      invocationId: context.invocationId,
      input: message,
      inputType: typeof message,
      triggerMetadata: context.triggerMetadata,
    });
  },
});

app.storageQueue("alwaysFails", {
  queueName: "%FIXTURE_FAIL_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: async (message: unknown, context: InvocationContext) => {
    await record(attemptsQueue, { input: message, dequeueCount: context.triggerMetadata?.dequeueCount });
    throw new Error(`always fails (${String(message)})`);
  },
});

app.storageQueue("slowQueue", {
  queueName: "%FIXTURE_SLOW_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: async (message: unknown) => {
    await record(attemptsQueue, { started: message });
    await delay(1500);
    await record(outQueue, { finished: message });
  },
});

app.storageQueue("forward", {
  queueName: "%FIXTURE_FORWARD_QUEUE%",
  connection: "AzureWebJobsStorage",
  return: output.storageQueue({
    queueName: "%FIXTURE_FORWARD_OUT_QUEUE%",
    connection: "AzureWebJobsStorage",
  }),
  handler: (message: unknown) => ({ forwarded: message }),
});
