import { scimError } from "./errors.ts";
import { MAX_RESULTS } from "./scimmy.ts";

/**
 * List paging (RFC 7644 §3.4.2.4), pure. 1-based `startIndex` (below 1 means 1), `count` (negative means
 * 0, above MAX_RESULTS is capped, as ServiceProviderConfig's filter.maxResults announces). The
 * ListResponse is built here rather than by scimmy, whose ListResponse cuts every page to 20 and pages
 * an already paged list again.
 */

export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

export interface Paging {
  startIndex: number;
  count: number;
}

function integer(name: string, text: string | null, fallback: number): number {
  if (text === null || text.trim() === "") return fallback;
  if (!/^\s*-?\d+\s*$/.test(text)) throw scimError(400, "invalidValue", `${name} must be an integer`);
  return Number.parseInt(text, 10);
}

export function parsePaging(query: URLSearchParams): Paging {
  return {
    startIndex: Math.max(1, integer("startIndex", query.get("startIndex"), 1)),
    count: Math.min(MAX_RESULTS, Math.max(0, integer("count", query.get("count"), MAX_RESULTS))),
  };
}

/** The slice of `all` a page shows. */
export function pageOf<T>(all: readonly T[], paging: Paging): T[] {
  return all.slice(paging.startIndex - 1, paging.startIndex - 1 + paging.count);
}

export interface ListResponse {
  schemas: [typeof LIST_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: unknown[];
}

export function listResponse(totalResults: number, paging: Paging, resources: unknown[]): ListResponse {
  return {
    schemas: [LIST_SCHEMA],
    totalResults,
    startIndex: paging.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
