/**
 * `$top` / `$skip` paging and the `_links` object of the v2 list operations. The reference shows
 * `{"_links":{"self":{"href":"…?$skip=0&$top=100"},"prev":{…},"next":{…}}}` with absolute hrefs, and
 * answers an out-of-range `$top` with 422 `InvalidValue` "Value outside of valid range." (target `$top`).
 *
 * Choices where the docs are silent: a `$top` above the maximum is clamped (not refused); `next` is only
 * present while more items remain; `prev` only when `$skip` > 0.
 */

export interface PageRequest {
  top: number;
  skip: number;
}

export interface PageQueryProblem {
  target: "$top" | "$skip";
  message: string;
}

export type PageQueryResult = { ok: true; page: PageRequest } | { ok: false; problems: PageQueryProblem[] };

export interface Link {
  href: string;
}

export interface PageLinks {
  self: Link;
  prev?: Link;
  next?: Link;
}

const OUT_OF_RANGE = "Value outside of valid range.";

export function parsePageQuery(query: URLSearchParams, maxPageSize: number): PageQueryResult {
  const problems: PageQueryProblem[] = [];
  const top = parseNonNegativeInt(query.get("$top"));
  const skip = parseNonNegativeInt(query.get("$skip"));
  if (top === "invalid" || top === 0) problems.push({ target: "$top", message: OUT_OF_RANGE });
  if (skip === "invalid") problems.push({ target: "$skip", message: OUT_OF_RANGE });
  if (problems.length > 0 || top === "invalid" || skip === "invalid") return { ok: false, problems };
  return {
    ok: true,
    page: { top: Math.min(top ?? maxPageSize, maxPageSize), skip: skip ?? 0 },
  };
}

function parseNonNegativeInt(raw: string | null): number | undefined | "invalid" {
  if (raw === null) return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) return "invalid";
  return Number(raw.trim());
}

export function slicePage<T>(items: readonly T[], page: PageRequest): T[] {
  return items.slice(page.skip, page.skip + page.top);
}

/** `baseHref` is the absolute collection URL without a query. */
export function pageLinks(baseHref: string, page: PageRequest, total: number): PageLinks {
  const href = (skip: number) => `${baseHref}?$skip=${skip}&$top=${page.top}`;
  const links: PageLinks = { self: { href: href(page.skip) } };
  if (page.skip > 0) links.prev = { href: href(Math.max(0, page.skip - page.top)) };
  if (page.skip + page.top < total) links.next = { href: href(page.skip + page.top) };
  return links;
}
