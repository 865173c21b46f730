import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AzuriteInstance } from "../../dev/stack/azurite.ts";
import { startAzurite } from "../../dev/stack/azurite.ts";
import { REPO_ROOT } from "../../dev/stack/paths.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { approximateCount, sendBase64, sendRaw, waitForMessages } from "../../dev/stack/queues.ts";
import type { RunnerProcess } from "../../dev/stack/runner.ts";
import { spawnRunner, startRunner } from "../../dev/stack/runner.ts";

/**
 * The local Functions runner, end to end: a fixture app registered through the real
 * @azure/functions API, served by `dev/runner/main.ts` in a child process, against azurite.
 */

const queueNames = (suffix: string) => ({
  FIXTURE_RECORD_QUEUE: `record-${suffix}`,
  FIXTURE_FAIL_QUEUE: `fails-${suffix}`,
  FIXTURE_SLOW_QUEUE: `slow-${suffix}`,
  FIXTURE_FORWARD_QUEUE: `forward-${suffix}`,
  FIXTURE_FORWARD_OUT_QUEUE: `forwarded-${suffix}`,
  FIXTURE_OUT_QUEUE: `out-${suffix}`,
  FIXTURE_ATTEMPTS_QUEUE: `attempts-${suffix}`,
});

let azurite: AzuriteInstance;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.close();
});

describe("runner (messageEncoding none, maxDequeueCount 2)", () => {
  const q = queueNames("plain");
  let runner: RunnerProcess;

  beforeAll(async () => {
    runner = await startRunner({
      entry: "test/support/fixture-app.ts",
      hostJson: "test/support/fixture-host.json",
      env: { AzureWebJobsStorage: azurite.connectionString, ...q },
    });
  });

  afterAll(async () => {
    await runner?.stop();
  });

  it("lists every registration and reports readiness", async () => {
    const logs = runner.logs();
    expect(logs).toMatch(/^runner ready http:\/\/127\.0\.0\.1:\d+$/m);
    expect(logs).toMatch(/echo\s+http\s+GET,POST .*\/api\/echo\/\{name\}/);
    expect(logs).toMatch(new RegExp(`record\\s+queue\\s+${q.FIXTURE_RECORD_QUEUE}`));
    expect(logs).toContain("fixture appStart hook ran");
    const status = await fetch(`${runner.url}/admin/host/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ state: "Running" });
  });

  it("round-trips an HTTP request with route params, query and body", async () => {
    const res = await fetch(`${runner.url}/api/echo/al%20ice?x=1&code=not-checked`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": "any-key" },
      body: JSON.stringify({ hello: "world" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: "al ice",
      params: { name: "al ice" },
      query: { x: "1", code: "not-checked" },
      method: "POST",
      body: '{"hello":"world"}',
      contentType: "application/json",
      functionsKey: "any-key",
      functionName: "echo",
    });
    expect(body.url).toBe(`${runner.url}/api/echo/al%20ice?x=1&code=not-checked`);
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => runner.logs().includes("echo for al ice"), "the handler's context.log line");
    await waitFor(
      () => /\[echo\] \([0-9a-f]{8}\) POST \/api\/echo\/al%20ice 200 \d+ms/.test(runner.logs()),
      "the request log line",
    );
  });

  it("routes like the host: literal before parameter, case-insensitive, 404 and 405", async () => {
    expect(await (await fetch(`${runner.url}/api/echo/special`)).json()).toEqual({ special: true });
    expect(await (await fetch(`${runner.url}/API/Echo/Special`)).json()).toEqual({ special: true });
    expect((await fetch(`${runner.url}/api/echo/a/b`)).status).toBe(404);
    expect((await fetch(`${runner.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${runner.url}/echo/x`)).status).toBe(404);
    const wrongMethod = await fetch(`${runner.url}/api/echo/x`, { method: "PUT" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST");
  });

  it("writes HttpResponse instances and empty results", async () => {
    const teapot = await fetch(`${runner.url}/api/teapot`);
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get("x-fixture")).toBe("teapot");
    expect(await teapot.text()).toBe("short and stout");
    const nothing = await fetch(`${runner.url}/api/nothing`, { method: "DELETE" });
    expect(nothing.status).toBe(204);
  });

  it("answers 500 without details when a handler throws, and logs the error", async () => {
    const res = await fetch(`${runner.url}/api/boom`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("secret-detail");
    await waitFor(() => /\[boom\].*kaboom: secret-detail/.test(runner.logs()), "the error in the runner log");
  });

  it("refuses bodies over 10 MB with 413", async () => {
    const res = await fetch(`${runner.url}/api/echo/big`, {
      method: "POST",
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
    });
    expect(res.status).toBe(413);
  });

  it("delivers a JSON queue message as parsed JSON with the host's trigger metadata", async () => {
    const text = JSON.stringify({ itwinId: "5e3b1a7e-0000-4000-8000-000000000001", action: "add" });
    const messageId = await sendRaw(azurite.connectionString, q.FIXTURE_RECORD_QUEUE, text);
    const [received] = await waitForMessages(azurite.connectionString, q.FIXTURE_OUT_QUEUE, 1);
    const seen = JSON.parse(received?.text ?? "{}");
    expect(seen.functionName).toBe("record");
    expect(seen.inputType).toBe("object");
    expect(seen.input).toEqual(JSON.parse(text));
    expect(seen.triggerMetadata).toMatchObject({ dequeueCount: 1, id: messageId, queueTrigger: text });
    for (const key of ["insertionTime", "expirationTime", "nextVisibleTime"]) {
      expect(Number.isNaN(Date.parse(seen.triggerMetadata[key]))).toBe(false);
    }
    expect(typeof seen.triggerMetadata.popReceipt).toBe("string");
    await waitFor(
      async () => (await approximateCount(azurite.connectionString, q.FIXTURE_RECORD_QUEUE)) === 0,
      "the message to be deleted",
    );
  });

  it("delivers a non-JSON message as a string", async () => {
    await sendRaw(azurite.connectionString, q.FIXTURE_RECORD_QUEUE, "just text");
    const [received] = await waitForMessages(azurite.connectionString, q.FIXTURE_OUT_QUEUE, 1);
    const seen = JSON.parse(received?.text ?? "{}");
    expect(seen.inputType).toBe("string");
    expect(seen.input).toBe("just text");
    expect(seen.triggerMetadata.queueTrigger).toBe("just text");
  });

  it("moves a message that keeps failing to <queue>-poison after maxDequeueCount deliveries", async () => {
    await sendRaw(azurite.connectionString, q.FIXTURE_FAIL_QUEUE, "doomed");
    const [poisoned] = await waitForMessages(azurite.connectionString, `${q.FIXTURE_FAIL_QUEUE}-poison`, 1);
    expect(poisoned?.text).toBe("doomed");
    const attempts = await waitForMessages(azurite.connectionString, q.FIXTURE_ATTEMPTS_QUEUE, 2);
    expect(attempts.map((a) => JSON.parse(a.text))).toEqual([
      { input: "doomed", dequeueCount: 1 },
      { input: "doomed", dequeueCount: 2 },
    ]);
    expect(await approximateCount(azurite.connectionString, q.FIXTURE_FAIL_QUEUE)).toBe(0);
    expect(runner.logs()).toMatch(/moved to "fails-plain-poison"/);
  });

  it("performs queue output bindings (return: output.storageQueue)", async () => {
    await sendRaw(azurite.connectionString, q.FIXTURE_FORWARD_QUEUE, '{"n":7}');
    const [forwarded] = await waitForMessages(azurite.connectionString, q.FIXTURE_FORWARD_OUT_QUEUE, 1);
    expect(JSON.parse(forwarded?.text ?? "null")).toEqual({ forwarded: { n: 7 } });
  });

  it("shuts down gracefully: in-flight HTTP and queue invocations finish, exit code 0", async () => {
    await sendRaw(azurite.connectionString, q.FIXTURE_SLOW_QUEUE, "slow-1");
    await waitForMessages(azurite.connectionString, q.FIXTURE_ATTEMPTS_QUEUE, 1);
    const slowRequest = fetch(`${runner.url}/api/slow?ms=700`);
    await waitFor(
      () => runner.logs().includes("slow request started"),
      "the slow request to reach its handler",
    );
    const stopped = runner.stop("SIGTERM");
    const response = await slowRequest;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("done");
    expect(await stopped).toEqual({ code: 0, signal: null });
    const [finished] = await waitForMessages(azurite.connectionString, q.FIXTURE_OUT_QUEUE, 1);
    expect(JSON.parse(finished?.text ?? "{}")).toEqual({ finished: "slow-1" });
    expect(await approximateCount(azurite.connectionString, q.FIXTURE_SLOW_QUEUE)).toBe(0);
    expect(runner.logs()).toContain("SIGTERM: stopping");
  });
});

describe("runner (messageEncoding base64, the host default)", () => {
  const q = queueNames("b64");
  let runner: RunnerProcess;

  beforeAll(async () => {
    runner = await startRunner({
      entry: "test/support/fixture-app.ts",
      hostJson: "test/support/fixture-host-base64.json",
      env: { AzureWebJobsStorage: azurite.connectionString, ...q },
    });
  });

  afterAll(async () => {
    await runner?.stop();
  });

  it("decodes base64 messages before handing them over", async () => {
    await sendBase64(azurite.connectionString, q.FIXTURE_RECORD_QUEUE, '{"ok":true}');
    const [received] = await waitForMessages(azurite.connectionString, q.FIXTURE_OUT_QUEUE, 1);
    const seen = JSON.parse(received?.text ?? "{}");
    expect(seen.input).toEqual({ ok: true });
    expect(seen.triggerMetadata.queueTrigger).toBe('{"ok":true}');
  });

  it("moves a message that is not base64 straight to the poison queue, without invoking", async () => {
    await sendRaw(azurite.connectionString, q.FIXTURE_FAIL_QUEUE, "{not base64}");
    const [poisoned] = await waitForMessages(azurite.connectionString, `${q.FIXTURE_FAIL_QUEUE}-poison`, 1);
    expect(poisoned?.text).toBe("{not base64}");
    expect(await approximateCount(azurite.connectionString, q.FIXTURE_ATTEMPTS_QUEUE)).toBe(0);
  });

  it("encodes queue output bindings with the same encoding", async () => {
    await sendBase64(azurite.connectionString, q.FIXTURE_FORWARD_QUEUE, "hi");
    const [forwarded] = await waitForMessages(azurite.connectionString, q.FIXTURE_FORWARD_OUT_QUEUE, 1);
    expect(Buffer.from(forwarded?.text ?? "", "base64").toString("utf8")).toBe('{"forwarded":"hi"}');
  });
});

describe("runner serving a production bundle (scripts/build.mjs output)", () => {
  const q = queueNames("dist");
  let runner: RunnerProcess;
  let outdir: string;

  beforeAll(async () => {
    // The bundle carries its own copy of @azure/functions; only @azure/functions-core stays external.
    outdir = await mkdtemp(join(tmpdir(), "runner-dist-"));
    const build = spawnSync(
      process.execPath,
      [join(REPO_ROOT, "scripts", "build.mjs"), "--entry", "test/support/fixture-app.ts", "--outdir", outdir],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 },
    );
    if (build.status !== 0)
      throw new Error(`build failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
    runner = await startRunner({
      entry: join(outdir, "index.js"),
      hostJson: "test/support/fixture-host.json",
      env: { AzureWebJobsStorage: azurite.connectionString, ...q },
    });
  });

  afterAll(async () => {
    await runner?.stop();
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it("serves the bundle's registrations, including its own HttpResponse class", async () => {
    const echo = await fetch(`${runner.url}/api/echo/bundle?x=1`);
    expect(await echo.json()).toMatchObject({ name: "bundle", query: { x: "1" } });
    const teapot = await fetch(`${runner.url}/api/teapot`);
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get("x-fixture")).toBe("teapot");
    expect(await teapot.text()).toBe("short and stout");
  });

  it("runs the bundle's queue triggers", async () => {
    await sendRaw(azurite.connectionString, q.FIXTURE_RECORD_QUEUE, '{"from":"bundle"}');
    const [received] = await waitForMessages(azurite.connectionString, q.FIXTURE_OUT_QUEUE, 1);
    expect(JSON.parse(received?.text ?? "{}")).toMatchObject({
      input: { from: "bundle" },
      triggerMetadata: { dequeueCount: 1 },
    });
  });
});

describe("runner with functions disabled by AzureWebJobs.<name>.Disabled", () => {
  let runner: RunnerProcess;

  beforeAll(async () => {
    runner = await startRunner({
      entry: "test/support/fixture-app.ts",
      hostJson: "test/support/fixture-host.json",
      // The disabled queue trigger's queue setting is missing: like the host, the runner never resolves it.
      env: {
        AzureWebJobsStorage: azurite.connectionString,
        ...queueNames("disabled"),
        FIXTURE_RECORD_QUEUE: undefined,
        "AzureWebJobs.record.Disabled": "true",
        "AzureWebJobs.echo.Disabled": "1",
      },
    });
  });

  afterAll(async () => {
    await runner?.stop();
  });

  it("leaves them out of every host and says so", async () => {
    const listed = (await (await fetch(`${runner.url}/admin/functions`)).json()) as { name: string }[];
    const names = listed.map((fn) => fn.name);
    expect(names).not.toContain("record");
    expect(names).not.toContain("echo");
    expect(names.length).toBeGreaterThan(0);
    expect((await fetch(`${runner.url}/api/echo/x`)).status).toBe(404);
    expect(runner.logs()).toContain("disabled by AzureWebJobs.record.Disabled");
  });
});

describe("runner start-up failures", () => {
  it("exits 1 with the app's message when importing the entry throws", async () => {
    const run = spawnRunner(
      ["--entry", "test/support/fixture-broken-app.ts", "--port", "0", "--no-local-settings"],
      {},
    );
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 20_000);
    const { code } = await run.exited;
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(run.logs()).toContain("the app failed to start");
    expect(run.logs()).toContain("Invalid configuration: ITWIN_API_BASE_URL is required (fixture)");
    expect(run.logs()).not.toMatch(/^\s+at /m);
  });

  it("exits 1 naming the missing setting of a %SETTING% queue name", async () => {
    const run = spawnRunner(
      [
        "--entry",
        "test/support/fixture-app.ts",
        "--port",
        "0",
        "--no-local-settings",
        "--host-json",
        "test/support/fixture-host.json",
      ],
      { env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_RECORD_QUEUE: undefined } },
    );
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 20_000);
    const { code } = await run.exited;
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(run.logs()).toMatch(/function "record": app setting "FIXTURE_RECORD_QUEUE"/);
  });
});
