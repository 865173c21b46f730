import { Buffer } from "node:buffer";
import { TableClient } from "@azure/data-tables";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import {
  checkAnswer,
  freshCase,
  freshTag,
  type HttpCase,
  type HttpExpectation,
  LIMIT,
  unsignedCaseArb,
} from "../support/intake-cases.ts";

/**
 * The shell in front of the intake, sampled: cases from the same generators as fuzz-intake.test.ts,
 * sent over real HTTP through the local runner — which hands the handler `HttpRequest.body` as a web
 * stream, as the Functions host does — and bodies far past the limit, declared or streamed without a
 * Content-Length. What the HTTP server itself refuses (control characters in a header, a
 * Content-Length that does not match the body) never reaches the app, so such cases are left out.
 */

const SEED = 20_260_812;
const RUNS = 40;
const PARALLEL = 5;

let stack: AppStack;
let url: string;

beforeAll(async () => {
  stack = await startAppStack();
  url = `${stack.runner.url}/api/owner-changes`;
});
afterAll(async () => {
  await stack?.stop();
});

/** Header values the HTTP parser accepts (no control characters but tab); lying lengths are its business. */
const isControl = (char: string) => (char < " " && char !== "\t") || char === "\u007f";
const reachesTheApp = (c: HttpCase) =>
  !/^size:(low|malformed|huge)/.test(c.kind) &&
  Object.values(c.headers).every((value) => ![...value].some(isControl));

async function send(headers: Record<string, string>, body: RequestInit["body"], duplex = false) {
  const response = await fetch(url, {
    method: "POST",
    headers,
    body,
    ...(duplex ? { duplex: "half" } : {}),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

async function answerTo(
  headers: Record<string, string>,
  body: RequestInit["body"],
  expected: HttpExpectation,
  duplex = false,
) {
  const { status, headers: responseHeaders, text } = await send(headers, body, duplex);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${status} answer is not JSON: ${text.slice(0, 200)}`);
  }
  return checkAnswer({ status, headers: responseHeaders, json }, expected);
}

/** `size` bytes of a valid change padded with JSON whitespace, as a stream of 64 KiB chunks. */
function streamedBody(size: number): ReadableStream<Uint8Array> {
  const text = JSON.stringify({
    itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
    email: "streamed@bücher.example",
    action: "add",
  });
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, size - sent), " ");
      if (sent === 0) chunk.write(text);
      sent += chunk.byteLength;
      controller.enqueue(new Uint8Array(chunk));
      if (sent >= size) controller.close();
    },
  });
}

describe("fuzzed intake through the runner", () => {
  it("generated requests get the same answers over HTTP, and only accepted ones leave a record", async () => {
    const accepted = new Set<string>();
    const refused = new Set<string>();
    let inputs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(unsignedCaseArb.filter(reachesTheApp), { minLength: PARALLEL, maxLength: PARALLEL }),
        async (cases) => {
          await Promise.all(
            cases.map(async (c) => {
              inputs += 1;
              const tag = freshTag();
              // fetch frames the body itself: a chaos case's made-up Content-Length is dropped.
              const { "content-length": _length, ...rest } = c.headers;
              const { headers, body } = freshCase({ headers: rest, body: c.body }, tag);
              const correlationId = `fz-${tag}`;
              const ids = await answerTo({ ...headers, "x-correlation-id": correlationId }, body, c.expect);
              (ids.length > 0 ? accepted : refused).add(correlationId);
            }),
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(inputs).toBe(RUNS * PARALLEL);
    expect(accepted.size).toBeGreaterThan(0);
    expect(refused.size).toBeGreaterThan(0);

    // Every status document belongs to a request that was answered 202; none to a refused one.
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, "OwnerChanges", {
      allowInsecureConnection: true,
    });
    const owners = new Set<string>();
    for await (const row of table.listEntities<{ document: string }>({
      queryOptions: { filter: "RowKey eq 'status'" },
    })) {
      owners.add((JSON.parse(row.document) as { correlationId: string }).correlationId);
    }
    expect([...owners].filter((id) => refused.has(id))).toEqual([]);
    expect([...accepted].filter((id) => !owners.has(id))).toEqual([]);
  }, 120_000);

  it("answers 413 problem+json for bodies past the limit, declared or streamed without a length", async () => {
    const json = { "content-type": "application/json" };
    // Declared: refused before the body is read.
    await answerTo(json, new Uint8Array(1024 * 1024).fill(0x20), { status: 413 });
    // Streamed (chunked, no Content-Length): the handler stops reading at the limit.
    await answerTo(json, streamedBody(5 * 1024 * 1024), { status: 413 }, true);
    await answerTo(json, streamedBody(LIMIT + 1), { status: 413 }, true);
    // At the limit exactly, streamed, it is taken — in its one spelling of the address.
    const [id] = await answerTo(json, streamedBody(LIMIT), { status: 202 }, true);
    const status = await fetch(`${url}/${id}`);
    expect(((await status.json()) as { email: string }).email).toBe("streamed@xn--bcher-kva.example");
  }, 60_000);
});
