import { describe, expect, it } from "vitest";
import { pageLinks, parsePageQuery, slicePage } from "../../../dev/simulator/paging.ts";

const q = (text: string) => new URLSearchParams(text);

describe("parsePageQuery", () => {
  it("defaults to the max page size from the start", () => {
    expect(parsePageQuery(q(""), 100)).toEqual({ ok: true, page: { top: 100, skip: 0 } });
  });

  it("reads $top and $skip and clamps $top to the maximum", () => {
    expect(parsePageQuery(q("$top=10&$skip=20"), 100)).toEqual({ ok: true, page: { top: 10, skip: 20 } });
    expect(parsePageQuery(q("$top=5000"), 100)).toEqual({ ok: true, page: { top: 100, skip: 0 } });
  });

  it("refuses values that are not non-negative integers, and $top=0", () => {
    for (const bad of ["$top=-1", "$top=abc", "$top=1.5", "$top=", "$top=0"]) {
      expect(parsePageQuery(q(bad), 100)).toEqual({
        ok: false,
        problems: [{ target: "$top", message: "Value outside of valid range." }],
      });
    }
    expect(parsePageQuery(q("$skip=-3"), 100)).toMatchObject({ ok: false, problems: [{ target: "$skip" }] });
  });
});

describe("pageLinks", () => {
  const base = "http://127.0.0.1:1/accesscontrol/itwins/x/members/owners";

  it("has next only while more remain and prev only after the first page", () => {
    expect(pageLinks(base, { top: 100, skip: 0 }, 251)).toEqual({
      self: { href: `${base}?$skip=0&$top=100` },
      next: { href: `${base}?$skip=100&$top=100` },
    });
    expect(pageLinks(base, { top: 100, skip: 100 }, 251)).toEqual({
      self: { href: `${base}?$skip=100&$top=100` },
      prev: { href: `${base}?$skip=0&$top=100` },
      next: { href: `${base}?$skip=200&$top=100` },
    });
    expect(pageLinks(base, { top: 100, skip: 200 }, 251)).toEqual({
      self: { href: `${base}?$skip=200&$top=100` },
      prev: { href: `${base}?$skip=100&$top=100` },
    });
    expect(pageLinks(base, { top: 100, skip: 0 }, 100).next).toBeUndefined();
  });

  it("slices the requested page", () => {
    expect(slicePage([1, 2, 3, 4, 5], { top: 2, skip: 3 })).toEqual([4, 5]);
    expect(slicePage([1, 2], { top: 2, skip: 5 })).toEqual([]);
  });
});
