import { describe, expect, it } from "vitest";
import { expectDocumented } from "../../support/openapi-conformance.ts";

/** The helper the OpenAPI integration test holds real answers to, on answers made up to break it. */

const JSON_HEADERS = { "content-type": "application/json", "retry-after": "1" };
const accepted = { id: "k-IN9mM5qdd_M6JAFUxsq5HZLDWicnwujf", status: "queued", statusUrl: "http://x/api/y" };
const answer = (body: unknown, status = 202, headers: Record<string, string> = JSON_HEADERS) =>
  new Response(JSON.stringify(body), { status, headers });
const check = (response: Response) => expectDocumented(response, "/api/owner-changes", "post");

describe("expectDocumented (test/support/openapi-conformance.ts)", () => {
  it("passes an answer the document describes, and returns its body", async () => {
    await expect(check(answer(accepted))).resolves.toEqual(accepted);
  });

  it("fails an undocumented field, a wrong value, status, header or media type", async () => {
    await expect(check(answer({ ...accepted, extra: 1 }))).rejects.toThrow(/every field is documented/);
    await expect(check(answer({ ...accepted, status: "lost" }))).rejects.toThrow(
      /POST \/api\/owner-changes → 202/,
    );
    await expect(check(answer(accepted, 201))).rejects.toThrow(/is a documented status/);
    await expect(check(answer(accepted, 202, { "content-type": "application/json" }))).rejects.toThrow(
      /headers/,
    );
    await expect(
      check(answer(accepted, 202, { ...JSON_HEADERS, "content-type": "text/plain" })),
    ).rejects.toThrow(/media type/);
  });
});
