import ky, { HTTPError, type KyInstance, TimeoutError } from "ky";
import type { OwnerChange, StatusDocument } from "../../src/changes/model.ts";
import type { PoisonQueueKind } from "../../src/poison/plan.ts";
import type { PoisonList, ReplayResult } from "../../src/poison/schemas.ts";
import type { Target } from "./config.ts";

/**
 * The service's HTTP API as the CLI uses it (design §3; the query API as its contract says): ky with a
 * timeout on every call, retries only where repeating is safe, and every failure turned into an
 * `ApiError` that says what happened in words and carries the HTTP status, if there was one.
 */

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    /** undefined: no answer (network, timeout). */
    readonly status?: number,
    readonly problem?: Problem,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type SubmitItem =
  | { index: number; id: string; status: StatusDocument["status"]; statusUrl: string; replayed?: boolean }
  | { index: number; error: Problem };

/** `GET /api/owner-changes` items (query API contract). */
export interface ChangeSummary {
  id: string;
  status: StatusDocument["status"];
  outcome?: string;
  itwinId: string;
  email: string;
  action: string;
  source?: string;
  via: string;
  dryRun: boolean;
  parentId?: string;
  createdAt: string;
  updatedAt: string;
  statusUrl: string;
}

export interface ListPage {
  items: ChangeSummary[];
  cursor?: string;
  next?: string;
}

export interface ListFilters {
  itwinId?: string;
  email?: string;
  /** One status or a comma-separated list. */
  status?: string;
  source?: string;
  action?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface ApiClient {
  submit(changes: OwnerChange[], signal?: AbortSignal): Promise<SubmitItem[]>;
  get(id: string, signal?: AbortSignal): Promise<StatusDocument>;
  list(filters: ListFilters, cursor?: string, signal?: AbortSignal): Promise<ListPage>;
  decide(
    id: string,
    decision: "approve" | "reject",
    body: { by: string; reason?: string },
  ): Promise<StatusDocument>;
  poisonList(queue: PoisonQueueKind): Promise<PoisonList>;
  poisonReplay(
    queue: PoisonQueueKind,
    body: { ids?: string[]; all?: boolean; max?: number; dryRun?: boolean },
  ): Promise<ReplayResult>;
}

export interface ClientOptions {
  target: Target;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Transient answers worth a second try: the service asks for it (429, 503) or a gateway hiccuped. */
const RETRY = {
  limit: 2,
  statusCodes: [408, 429, 500, 502, 503, 504],
  afterStatusCodes: [429, 503],
  maxRetryAfter: 30_000,
  backoffLimit: 5_000,
};

export function createApiClient(options: ClientOptions): ApiClient {
  const http: KyInstance = ky.create({
    prefixUrl: `${options.target.url}/api/`,
    timeout: options.timeoutMs,
    headers: {
      "user-agent": "owner-changes-cli",
      ...(options.target.key === undefined ? {} : { "x-functions-key": options.target.key }),
    },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  // GETs repeat safely; a submit too, because every change the CLI sends carries its idempotency key.
  // Decisions and replays are not repeated: the second answer would misreport the first's effect.
  const safe = { ...RETRY, methods: ["get", "post"] };
  const once = { limit: 0 };
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw await toApiError(error, what, options);
    }
  };
  const path = (id: string) => encodeURIComponent(id);
  return {
    submit: (changes, signal) =>
      call("submit", async () => {
        const body = await http
          .post("owner-changes", { json: { changes }, retry: safe, ...(signal ? { signal } : {}) })
          .json<{ items: SubmitItem[] }>();
        return body.items;
      }),
    get: (id, signal) =>
      call(`status of ${id}`, () =>
        http
          .get(`owner-changes/${path(id)}`, { retry: safe, ...(signal ? { signal } : {}) })
          .json<StatusDocument>(),
      ),
    list: (filters, cursor, signal) =>
      call("list", () =>
        http
          .get("owner-changes", {
            searchParams: searchParams({ ...filters, ...(cursor === undefined ? {} : { cursor }) }),
            retry: safe,
            ...(signal ? { signal } : {}),
          })
          .json<ListPage>(),
      ),
    decide: (id, decision, body) =>
      call(decision, () =>
        http
          .post(`owner-changes/${path(id)}/${decision}`, { json: body, retry: once })
          .json<StatusDocument>(),
      ),
    poisonList: (queue) =>
      call("poison list", () => http.get(`poison/${queue}`, { retry: safe }).json<PoisonList>()),
    poisonReplay: (queue, body) =>
      call("poison replay", () =>
        http.post(`poison/${queue}/replay`, { json: body, retry: once }).json<ReplayResult>(),
      ),
  };
}

function searchParams(values: Record<string, string | number | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values)
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}

async function toApiError(error: unknown, what: string, options: ClientOptions): Promise<unknown> {
  if (error instanceof HTTPError) {
    const status = error.response.status;
    const problem = await readProblem(error.response);
    const detail = problem?.detail ?? problem?.title ?? error.response.statusText;
    const fields = (problem?.errors ?? []).map((field) => `\n  ${field.path}: ${field.message}`).join("");
    const hint =
      status === 401 || status === 403
        ? " (the key is missing or wrong: --key, OWNER_CHANGES_KEY or a profile; approve, reject and poison need the master key)"
        : "";
    return new ApiError(`${what}: ${status} ${detail}${hint}${fields}`, status, problem);
  }
  if (error instanceof TimeoutError) {
    return new ApiError(`${what}: no answer from ${options.target.url} within ${options.timeoutMs / 1000} s`);
  }
  // An abort is the user's Ctrl-C: the caller handles it, so it is passed on as it is.
  if (error instanceof Error && error.name === "AbortError") return error;
  if (error instanceof TypeError) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new ApiError(
      `${what}: cannot reach ${options.target.url} (${cause?.code ?? cause?.message ?? error.message})`,
    );
  }
  return error;
}

async function readProblem(response: Response): Promise<Problem | undefined> {
  try {
    const body: unknown = await response.json();
    return typeof body === "object" && body !== null ? (body as Problem) : undefined;
  } catch {
    return undefined;
  }
}
