import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { appEnv, DEV_STORAGE } from "../../../dev/stack/credentials.ts";

/**
 * The HTTP intake's body limit, in-process and before any storage is touched: the handler reads the
 * request's stream and stops at 256 KiB (regression: it used to read the whole body, and with
 * WEBHOOK_SECRETS set it checked the signature over all of it and answered 401 before the 413).
 */

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;
const LIMIT = 256 * 1024;
const CHUNK = 16 * 1024;
const URL = "http://127.0.0.1:7071/api/owner-changes";

let submitOwnerChanges: typeof import("../../../src/functions/submit-owner-changes.ts").submitOwnerChanges;

beforeAll(async () => {
  // Settings are read on first use; nothing here reaches the storage or the API they name.
  const app = appEnv({ connectionString: DEV_STORAGE }, { url: "http://127.0.0.1:9" });
  for (const [name, value] of Object.entries(app)) vi.stubEnv(name, value);
  vi.stubEnv("WEBHOOK_SECRETS", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ({ submitOwnerChanges } = await import("../../../src/functions/submit-owner-changes.ts"));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** A POST whose body is an endless stream, as the host hands over a streamed request. */
function endlessPost(headers: Record<string, string>) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulled += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
      },
      cancel() {
        seen.cancelled = true;
      },
      // No read-ahead: every chunk pulled is one the handler asked for.
    },
    { highWaterMark: 0 },
  );
  const nativeRequest = new Request(URL, { method: "POST", headers, body, duplex: "half" } as RequestInit);
  return { request: new HttpRequest({ method: "POST", url: URL, nativeRequest } as never), seen };
}

async function answer(request: InstanceType<typeof HttpRequest>) {
  const context = new InvocationContext({
    invocationId: "t-1",
    functionName: "submitOwnerChanges",
    logHandler: () => undefined,
  });
  const response = new HttpResponse(await submitOwnerChanges(request, context));
  return { status: response.status, type: response.headers.get("content-type"), json: await response.json() };
}

const signedHeaders = {
  "content-type": "application/json",
  "webhook-id": "msg_1",
  "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
  "webhook-signature": "v1,bm90LWEtcmVhbC1zaWduYXR1cmU=",
};

describe("POST /api/owner-changes body limit", () => {
  it("stops reading an endless body at the limit and answers 413, before checking its signature", async () => {
    const { request, seen } = endlessPost(signedHeaders);
    expect(await answer(request)).toMatchObject({
      status: 413,
      type: "application/problem+json",
      json: { status: 413, detail: `The body exceeds ${LIMIT} bytes` },
    });
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(LIMIT + CHUNK);
  });

  it("answers 413 for a declared Content-Length over the limit without reading a byte", async () => {
    const { request, seen } = endlessPost({ ...signedHeaders, "content-length": String(LIMIT + 1) });
    expect(await answer(request)).toMatchObject({ status: 413, type: "application/problem+json" });
    expect(seen.pulled).toBe(0);
  });
});
