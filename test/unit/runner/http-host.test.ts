import type { HttpRequest, InvocationContext } from "@azure/functions";
import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionRegistry } from "../../../dev/runner/functions-core.ts";
import type { HttpHost } from "../../../dev/runner/http-host.ts";
import { startHttpHost } from "../../../dev/runner/http-host.ts";
import { toHttpResponse } from "../../../dev/runner/http-messages.ts";
import { Logger } from "../../../dev/runner/log.ts";
import type { CoreFunctionMetadata, FunctionHandler } from "../../../dev/runner/registration.ts";
import { toRegisteredFunction } from "../../../dev/runner/registration.ts";
import { httpRouteTable } from "../../../dev/runner/routes.ts";

const { HttpResponse } = azureFunctions;

function httpFunction(name: string, route: string, methods: string[], handler: FunctionHandler) {
  const metadata: CoreFunctionMetadata = {
    name,
    bindings: {
      req: { type: "httpTrigger", direction: "in", route, methods, authLevel: "function" },
      $return: { type: "http", direction: "out" },
    },
  };
  return toRegisteredFunction(metadata, handler);
}

describe("HTTP host (in process)", () => {
  const lines: string[] = [];
  const registry = new FunctionRegistry();
  const logger = new Logger({}, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  let release: (() => void) | undefined;
  const functions = [
    httpFunction("json", "json/{id}", ["GET", "POST"], async (req: HttpRequest, ctx: InvocationContext) => {
      ctx.log("hello from json");
      return { status: 201, jsonBody: { id: req.params.id, q: req.query.get("q"), body: await req.text() } };
    }),
    httpFunction("custom", "custom", ["GET", "HEAD"], () => ({
      body: "plain",
      headers: { "content-type": "text/x-custom", "x-a": "1" },
      cookies: [{ name: "session", value: "a b", httpOnly: true, path: "/" }],
    })),
    httpFunction("instance", "instance", ["GET"], () => new HttpResponse({ status: 202, jsonBody: [1, 2] })),
    httpFunction("bytes", "bytes", ["GET"], () => ({ body: new Uint8Array([104, 105]) })),
    httpFunction("stream", "stream", ["GET"], () => ({
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("chunk1,"));
          controller.enqueue(new TextEncoder().encode("chunk2"));
          controller.close();
        },
      }),
    })),
    httpFunction("nothing", "nothing", ["GET"], () => undefined),
    httpFunction("notObject", "not-object", ["GET"], () => "a string"),
    httpFunction("throws", "throws", ["GET"], () => {
      throw new Error("internal detail");
    }),
    httpFunction(
      "slow",
      "slow",
      ["GET"],
      () => new Promise((resolve) => (release = () => resolve({ body: "late" }))),
    ),
  ];
  let host: HttpHost;

  beforeAll(async () => {
    host = await startHttpHost({
      functions,
      routes: httpRouteTable(functions, "api"),
      services: { registry, logger },
      port: 0,
      maxBodyBytes: 64,
    });
  });
  afterAll(async () => {
    await host.close(100);
  });

  it("serves jsonBody with params, query and body; default content-type application/json", async () => {
    const res = await fetch(`${host.url}/api/json/7?q=x`, { method: "POST", body: "payload" });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ id: "7", q: "x", body: "payload" });
    expect(lines.join("\n")).toMatch(/INFO {2}\[json\] \([0-9a-f]{8}\) hello from json/);
  });

  it("writes headers, cookies and string bodies from HttpResponseInit; HEAD gets no body", async () => {
    const res = await fetch(`${host.url}/api/custom`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/x-custom");
    expect(res.headers.get("x-a")).toBe("1");
    expect(res.headers.get("set-cookie")).toBe("session=a%20b; Path=/; HttpOnly");
    expect(await res.text()).toBe("plain");
    const head = await fetch(`${host.url}/api/custom`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("writes HttpResponse instances, byte bodies and streams", async () => {
    const instance = await fetch(`${host.url}/api/instance`);
    expect(instance.status).toBe(202);
    expect(await instance.json()).toEqual([1, 2]);
    expect(await (await fetch(`${host.url}/api/bytes`)).text()).toBe("hi");
    expect(await (await fetch(`${host.url}/api/stream`)).text()).toBe("chunk1,chunk2");
  });

  it("answers 204 for no result and 500 for a non-object result or a throw, without details", async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(204);
    const notObject = await fetch(`${host.url}/api/not-object`);
    expect(notObject.status).toBe(500);
    const thrown = await fetch(`${host.url}/api/throws`);
    expect(thrown.status).toBe(500);
    expect(await thrown.text()).toBe("");
    expect(lines.join("\n")).toMatch(
      /ERROR \[throws\] \([0-9a-f]{8}\) Executed 'throws' \(Failed\): Error: internal detail/,
    );
  });

  it("refuses bodies over the cap with 413", async () => {
    const res = await fetch(`${host.url}/api/json/1`, { method: "POST", body: "x".repeat(65) });
    expect(res.status).toBe(413);
  });

  it("serves readiness and the function list", async () => {
    expect(await (await fetch(`${host.url}/admin/host/status`)).json()).toEqual({ state: "Running" });
    const list = (await (await fetch(`${host.url}/admin/functions`)).json()) as {
      name: string;
      route?: string;
    }[];
    expect(list.find((f) => f.name === "json")).toMatchObject({ route: "api/json/{id}" });
  });

  it("logs one line per request with method, path, status and duration", async () => {
    await fetch(`${host.url}/api/missing`);
    expect(lines.join("\n")).toMatch(/\[http\] GET \/api\/missing 404 \d+ms/);
  });

  it("lets an in-flight request finish when closing", async () => {
    const pending = fetch(`${host.url}/api/slow`);
    await expect.poll(() => release !== undefined).toBe(true);
    const closed = host.close(5000);
    release?.();
    const res = await pending;
    expect(await res.text()).toBe("late");
    await closed;
  });
});

describe("httpRouteTable", () => {
  const handler = () => ({ body: "" });

  it("compiles every HTTP function's route under the prefix, with its methods", () => {
    const table = httpRouteTable(
      [httpFunction("get", "owner-changes/{id}", ["GET"], handler), httpFunction("any", "any", [], handler)],
      "api",
    );
    expect(table.map((r) => [r.fn.name, r.route.fullTemplate, r.methods])).toEqual([
      ["get", "api/owner-changes/{id}", ["GET"]],
      ["any", "api/any", []],
    ]);
  });

  it("refuses a route with syntax the runner does not serve, naming the function, route and syntax", () => {
    const functions = [
      httpFunction("fine", "owner-changes", ["POST"], handler),
      httpFunction("typed", "owner-changes/{id:int}", ["GET"], handler),
    ];
    expect(() => httpRouteTable(functions, "api")).toThrow(
      "route constraint ':int' in 'owner-changes/{id:int}' of function typed is not supported by the local runner",
    );
  });
});

describe("toHttpResponse", () => {
  it("wraps HttpResponseInit and rejects non-objects", () => {
    expect(toHttpResponse(undefined)).toBeUndefined();
    expect(toHttpResponse({ status: 418 })?.status).toBe(418);
    expect(toHttpResponse({})?.status).toBe(200);
    expect(() => toHttpResponse(42)).toThrow(/must be an object/);
  });
});
