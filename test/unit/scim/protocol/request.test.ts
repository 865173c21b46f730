import { describe, expect, it } from "vitest";
import { failureOf } from "../../../../src/scim/protocol/errors.ts";
import { checkMediaType, filterOf, parseJsonObject } from "../../../../src/scim/protocol/request.ts";
import { errorResponse, SCIM_CONTENT_TYPE } from "../../../../src/scim/protocol/response.ts";
import { ScimError } from "../../../../src/scim/protocol/scimmy.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("checkMediaType", () => {
  it.each(["application/scim+json", "application/json", "application/json; charset=utf-8", null, ""])(
    "takes %j (Okta sends application/json on some calls)",
    (type) => {
      expect(() => checkMediaType(type)).not.toThrow();
    },
  );

  it("refuses another type with 415", () => {
    expect(() => checkMediaType("text/plain")).toThrowError(expect.objectContaining({ status: 415 }));
  });
});

describe("parseJsonObject", () => {
  it("reads a UTF-8 JSON object", () => {
    expect(parseJsonObject(bytes('{"userName":"zoë@corp.example"}'))).toEqual({
      userName: "zoë@corp.example",
    });
  });

  it.each([
    ["not JSON", bytes("{userName")],
    ["an array", bytes("[]")],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d])],
  ])("answers 400 invalidSyntax for %s", (_name, body) => {
    expect(() => parseJsonObject(body)).toThrowError(
      expect.objectContaining({ status: 400, scimType: "invalidSyntax" }),
    );
  });
});

describe("filterOf", () => {
  it("takes the filter as the query decoded it: Okta's %20-encoded spaces, a % inside a value left alone", () => {
    const query = new URL("https://h/api/scim/v2/Users?filter=userName%20eq%20%22a%2525b%40corp.example%22")
      .searchParams;
    expect(filterOf(query)).toBe('userName eq "a%25b@corp.example"');
    expect(filterOf(new URLSearchParams("filter=%20"))).toBeUndefined();
  });
});

describe("SCIM errors", () => {
  it("answers a SCIM error body with scimType and the status as a string, in application/scim+json", () => {
    const response = errorResponse(new ScimError(409, "uniqueness", "taken"));
    expect(response.status).toBe(409);
    expect(response.headers).toMatchObject({ "content-type": SCIM_CONTENT_TYPE });
    expect(JSON.parse(String(response.body))).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "409",
      scimType: "uniqueness",
      detail: "taken",
    });
  });

  it("answers anything else 500 without its message (it may quote storage), as unexpected", () => {
    const failure = failureOf(new Error("AccountKey=secret in a storage error"));
    expect(failure).toMatchObject({ status: 500, expected: false });
    expect(JSON.stringify(failure.body)).not.toContain("secret");
    expect(failure.body).not.toHaveProperty("scimType");
  });
});
