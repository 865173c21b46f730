import { describe, expect, it } from "vitest";
import { LIST_SCHEMA, listResponse, pageOf, parsePaging } from "../../../../src/scim/protocol/list.ts";
import { MAX_RESULTS } from "../../../../src/scim/protocol/scimmy.ts";

const query = (text: string) => new URLSearchParams(text);
const items = Array.from({ length: 250 }, (_, index) => index + 1);

describe("parsePaging", () => {
  it("defaults to the first page of MAX_RESULTS", () => {
    expect(parsePaging(query(""))).toEqual({ startIndex: 1, count: MAX_RESULTS });
  });

  it("reads startIndex below 1 as 1, a negative count as 0, and caps count (RFC 7644 §3.4.2.4)", () => {
    expect(parsePaging(query("startIndex=0&count=-5"))).toEqual({ startIndex: 1, count: 0 });
    expect(parsePaging(query("startIndex=7&count=100000"))).toEqual({ startIndex: 7, count: MAX_RESULTS });
  });

  it("answers 400 invalidValue for a value that is not an integer", () => {
    expect(() => parsePaging(query("count=ten"))).toThrowError(
      expect.objectContaining({ status: 400, scimType: "invalidValue" }),
    );
  });
});

describe("pages", () => {
  it("slices from the 1-based startIndex and reports the whole total", () => {
    const paging = parsePaging(query("startIndex=201&count=100"));
    const page = pageOf(items, paging);
    expect(page).toEqual(items.slice(200));
    expect(listResponse(items.length, paging, page)).toEqual({
      schemas: [LIST_SCHEMA],
      totalResults: 250,
      startIndex: 201,
      itemsPerPage: 50,
      Resources: page,
    });
  });

  it("answers Entra's Test Connection (a userName nobody has) with an empty list", () => {
    expect(listResponse(0, parsePaging(query("")), [])).toMatchObject({ totalResults: 0, Resources: [] });
  });
});
