import type { HistoryEntry, StatusDocument } from "../changes/model.ts";
import type { ListResponse, SummaryResponse } from "../changes/query/schema.ts";

/**
 * The ops page's script, run in the browser (design §3, `GET /api/ops`). page.ts inlines this function's
 * source text into the page (`opsPageScript.toString()`), so it is typechecked and linted with the app
 * yet needs no bundle of its own. That makes one rule binding: the body may use nothing from outside
 * itself — only its parameter, the browser's globals and type-only imports (erased). Everything it shows
 * comes from the public HTTP API and goes into the page through `textContent` and attributes, never as
 * markup; the page's Content-Security-Policy also enforces Trusted Types, so an `innerHTML` would throw.
 *
 * The key lives in sessionStorage only (gone with the tab), travels in the `x-functions-key` header
 * of same-origin calls, and is never written into a URL; a `?code=` the page was opened with is moved
 * to sessionStorage and taken out of the address bar at once.
 */

/*
 * The part of the DOM the script uses, declared for this file only. TypeScript's DOM library cannot be
 * scoped to one file (`/// <reference lib="dom" />` makes it global), and its `Headers`, `ReadableStream`
 * and `Response` clash with Node's in the server code. `fetch`, `URL` and `Response` come from Node's
 * types, which match the browser's for what is used here. The browser test runs the real thing.
 */
interface PageElement {
  hidden: boolean;
  textContent: string | null;
  className: string;
  readonly childElementCount: number;
  setAttribute(name: string, value: string): void;
  append(...nodes: (PageElement | string)[]): void;
  replaceChildren(...nodes: (PageElement | string)[]): void;
  addEventListener(type: "click" | "submit", listener: (event: { preventDefault(): void }) => void): void;
  focus(): void;
  scrollIntoView(options: { block: "nearest" }): void;
}
/** An `<input>` or a `<button>`. */
interface PageControl extends PageElement {
  value: string;
  disabled: boolean;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
  createElementNS(namespace: string, tag: string): PageElement;
};
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
};
declare const window: {
  location: { href: string };
  history: { replaceState(data: null, unused: string, url: string): void };
};

export interface OpsPageConfig {
  statuses: readonly string[];
}

export function opsPageScript(config: OpsPageConfig): void {
  const KEY_ITEM = "owner-changes-ops.key";
  const WHO_ITEM = "owner-changes-ops.who";
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const PAGE_SIZE = 25;
  /** The chart's stacks, bottom up; `pending` is queued + processing. */
  const STACKS = ["succeeded", "failed", "rejected", "held", "pending"] as const;

  interface PoisonMessage {
    messageId: string;
    insertedOn: string;
    reason: string;
    function?: string;
    dequeueCount?: number;
    change?: { itwinId?: string; email?: string; action?: string; requestId?: string };
  }
  interface ReplayResult {
    replayed: { messageId: string; requestId?: string }[];
    skipped: { messageId: string; reason: string }[];
  }
  type Failure = { ok: false; status: number; message: string };
  type Result<T> = { ok: true; value: T } | Failure;

  // ---- DOM helpers: text only, never markup ----

  function byId(id: string): PageElement {
    const found = document.getElementById(id);
    if (found === null) throw new Error(`ops page: element #${id} is missing`);
    return found;
  }

  /** An `<input>` or `<button>` by id. */
  function control(id: string): PageControl {
    return byId(id) as PageControl;
  }

  function el(
    tag: string,
    props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
    ...children: (PageElement | string)[]
  ): PageElement {
    const node = document.createElement(tag);
    if (props.className !== undefined) node.className = props.className;
    if (props.text !== undefined) node.textContent = props.text;
    for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function button(text: string, className = ""): PageControl {
    return el("button", { className, text, attrs: { type: "button" } }) as PageControl;
  }

  function svg(tag: string, attrs: Record<string, string | number>, ...children: PageElement[]): PageElement {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    node.append(...children);
    return node;
  }

  function svgTitle(text: string): PageElement {
    const title = svg("title", {});
    title.textContent = text;
    return title;
  }

  function say(id: string, text: string, tone: "info" | "error" = "info"): void {
    const target = byId(id);
    target.textContent = text;
    target.className = `message ${tone}`;
  }

  /**
   * Panels reload on every click; an answer that arrives after a newer request of the same panel was
   * sent is dropped, so the panel always shows the last thing asked for.
   */
  const latest = new Map<string, number>();
  function ticket(panel: string): () => boolean {
    const mine = (latest.get(panel) ?? 0) + 1;
    latest.set(panel, mine);
    return () => latest.get(panel) === mine;
  }

  /** A class name for a status from the API: only the known ones get their colour. */
  function statusClass(status: string): string {
    return config.statuses.includes(status) ? `s-${status}` : "s-other";
  }

  function badge(status: string): PageElement {
    return el("span", { className: `badge ${statusClass(status)}`, text: status });
  }

  /** `2026-12-01T07:03:12.345Z` → `2026-12-01 07:03:12`: UTC, as the API stores it. */
  function when(iso: string): string {
    return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
  }

  // ---- the API ----

  function key(): string | null {
    return sessionStorage.getItem(KEY_ITEM);
  }

  /** What a failed call says, for people: a problem's title and detail, or what the status means. */
  function describeFailure(response: Response, text: string): string {
    if ((response.headers.get("content-type") ?? "").includes("problem+json")) {
      try {
        const problem = JSON.parse(text) as {
          title?: string;
          status?: number;
          detail?: string;
          errors?: { path: string; message: string }[];
        };
        const head = `${problem.title ?? "Error"} (${problem.status ?? response.status})`;
        const lines = [problem.detail ? `${head}: ${problem.detail}` : head];
        for (const field of problem.errors ?? []) lines.push(`${field.path}: ${field.message}`);
        return lines.join("\n");
      } catch {
        // Not readable as a problem after all: described by its status below.
      }
    }
    const path = new URL(response.url).pathname;
    if (response.status === 401 || response.status === 403) {
      return `The key was refused for ${path} (${response.status}). Reading takes a function key; approving, rejecting and the poison queues take the master key.`;
    }
    return `${path} answered ${response.status} ${response.statusText}`.trim();
  }

  /**
   * A panel's list or counts route answering 404 or 405 is missing from this server (an app older than
   * the page), not an empty answer: the panel says it is unavailable rather than showing nothing.
   */
  function panelFailure(failure: Failure, path: string): string {
    if (failure.status !== 404 && failure.status !== 405) return failure.message;
    const route = new URL(path, window.location.href).pathname;
    return `Unavailable: this server does not answer GET ${route} (${failure.status}); it runs an app without this part of the API.`;
  }

  /** One call to the API, relative to this page (`/api/ops` → `/api/…`), with the key in its header. */
  async function call<T>(path: string, body?: unknown): Promise<Result<T>> {
    const headers: Record<string, string> = {
      accept: "application/json, application/problem+json",
      "x-functions-key": key() ?? "",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, window.location.href), {
        method: body === undefined ? "GET" : "POST",
        headers,
        credentials: "omit",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      return { ok: false, status: 0, message: `The API did not answer: ${(error as Error).message}` };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, status: response.status, message: describeFailure(response, text) };
    try {
      return { ok: true, value: JSON.parse(text) as T };
    } catch {
      return { ok: false, status: response.status, message: `${path} answered with a body that is not JSON` };
    }
  }

  // ---- signing in ----

  function showSignedIn(signedIn: boolean): void {
    byId("login").hidden = signedIn;
    byId("app").hidden = !signedIn;
    byId("signout").hidden = !signedIn;
    byId("refresh").hidden = !signedIn;
  }

  function signOut(message: string): void {
    sessionStorage.removeItem(KEY_ITEM);
    showSignedIn(false);
    say("login-message", message, message ? "error" : "info");
  }

  // ---- 24-hour counters ----

  function tile(label: string, value: number, className = ""): PageElement {
    return el(
      "div",
      { className: `tile ${className}`.trim() },
      el("span", { className: "tile-value", text: String(value) }),
      el("span", { className: "tile-label", text: label }),
    );
  }

  function stackValue(counts: Record<string, number>, stack: (typeof STACKS)[number]): number {
    return stack === "pending" ? (counts.queued ?? 0) + (counts.processing ?? 0) : (counts[stack] ?? 0);
  }

  function chart(summary: SummaryResponse): PageElement {
    const buckets = summary.buckets ?? [];
    const barWidth = 22;
    const left = 34;
    const top = 8;
    const barsHeight = 110;
    const retriesTop = top + barsHeight + 12;
    const retriesHeight = 34;
    // Room on the right for the last hour's label, which starts at its bar.
    const width = left + buckets.length * barWidth + 28;
    const height = retriesTop + retriesHeight + 20;
    const maxTotal = Math.max(1, ...buckets.map((bucket) => bucket.total));
    const maxRetries = Math.max(1, ...buckets.map((bucket) => bucket.rateLimitRetries));
    const root = svg("svg", {
      id: "counters-chart",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": `Changes per hour by status, and 429 retries per hour, ${when(summary.since)} to ${when(summary.until)} UTC`,
    });
    const axisLabel = (y: number, text: string) => {
      const label = svg("text", { x: left - 4, y, class: "axis", "text-anchor": "end" });
      label.textContent = text;
      return label;
    };
    root.append(
      axisLabel(top + 8, String(maxTotal)),
      axisLabel(top + barsHeight, "0"),
      axisLabel(retriesTop + 8, String(maxRetries)),
      axisLabel(retriesTop + retriesHeight, "0"),
      svg("line", { x1: left, x2: width, y1: top + barsHeight, y2: top + barsHeight, class: "baseline" }),
      svg("line", {
        x1: left,
        x2: width,
        y1: retriesTop + retriesHeight,
        y2: retriesTop + retriesHeight,
        class: "baseline",
      }),
    );
    buckets.forEach((bucket, index) => {
      const x = left + index * barWidth + 2;
      const hour = bucket.start.slice(11, 16);
      const parts = STACKS.map((stack) => `${stackValue(bucket.byStatus, stack)} ${stack}`);
      const group = svg(
        "g",
        { class: "bucket" },
        svgTitle(
          `${hour} UTC: ${bucket.total} changes (${parts.join(", ")}), ${bucket.rateLimitRetries} × 429`,
        ),
      );
      let y = top + barsHeight;
      for (const stack of STACKS) {
        const value = stackValue(bucket.byStatus, stack);
        if (value === 0) continue;
        const h = Math.max(1, (value / maxTotal) * barsHeight);
        y -= h;
        group.append(svg("rect", { x, y, width: barWidth - 4, height: h, class: `bar s-${stack}` }));
      }
      if (bucket.rateLimitRetries > 0) {
        const h = Math.max(1, (bucket.rateLimitRetries / maxRetries) * retriesHeight);
        group.append(
          svg("rect", {
            x,
            y: retriesTop + retriesHeight - h,
            width: barWidth - 4,
            height: h,
            class: "bar retries",
          }),
        );
      }
      if (index % 6 === 0) {
        const label = svg("text", { x, y: height - 4, class: "axis" });
        label.textContent = hour;
        group.append(label);
      }
      root.append(group);
    });
    return root;
  }

  async function loadCounters(): Promise<void> {
    const current = ticket("counters");
    const result = await call<SummaryResponse>("owner-changes/summary?bucket=hour");
    if (!current()) return;
    const tiles = byId("counter-tiles");
    const chartBox = byId("chart");
    if (!result.ok) {
      tiles.replaceChildren();
      chartBox.replaceChildren();
      say("counters-message", panelFailure(result, "owner-changes/summary"), "error");
      return;
    }
    const summary = result.value;
    tiles.replaceChildren(
      tile("changes", summary.total, "total"),
      ...Object.entries(summary.byStatus)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => tile(status, n, statusClass(status))),
      ...Object.entries(summary.byOutcome)
        .filter(([, n]) => n > 0)
        .map(([outcome, n]) => tile(outcome, n, "outcome")),
      tile("429 retries", summary.rateLimitRetries, "retries"),
    );
    const legend = el(
      "ul",
      { className: "legend" },
      ...STACKS.map((stack) =>
        el(
          "li",
          {},
          el("span", { className: `swatch s-${stack}` }),
          stack === "pending" ? "queued / processing" : stack,
        ),
      ),
      el("li", {}, el("span", { className: "swatch retries" }), "429 retries (lower strip)"),
    );
    chartBox.replaceChildren(chart(summary), legend);
    say("counters-message", `Created ${when(summary.since)} to ${when(summary.until)} UTC, per hour.`);
  }

  // ---- recent requests ----

  const filters = { statuses: new Set<string>(), search: "" };
  let nextPage: string | undefined;

  /** The search box holds an email address or an iTwin id; anything else is a mistake to point out. */
  function searchParameter(): [string, string] | "invalid" | undefined {
    const text = filters.search;
    if (text === "") return undefined;
    if (UUID.test(text)) return ["itwinId", text];
    if (text.includes("@")) return ["email", text];
    return "invalid";
  }

  function recentRow(item: ListResponse["items"][number]): PageElement {
    const open = button(item.id, "link");
    open.addEventListener("click", () => void showHistory(item.id));
    return el(
      "tr",
      {},
      el("td", { text: when(item.createdAt) }),
      el("td", {}, badge(item.status)),
      el("td", { text: item.outcome ?? "" }),
      el("td", { text: item.dryRun ? `${item.action} (dry run)` : item.action }),
      el("td", { className: "email", text: item.email }),
      el("td", { className: "mono", text: item.itwinId }),
      el("td", { text: item.source ? `${item.via} · ${item.source}` : item.via }),
      el("td", { className: "mono" }, open),
    );
  }

  async function loadRecent(more = false): Promise<void> {
    const rows = byId("recent-rows");
    let path: string;
    if (more && nextPage !== undefined) {
      path = nextPage;
    } else {
      const search = searchParameter();
      if (search === "invalid") {
        say("recent-message", "Search for an email address or an iTwin id (a UUID).", "error");
        return;
      }
      const query = new URLSearchParams();
      if (filters.statuses.size > 0) query.set("status", [...filters.statuses].join(","));
      if (search !== undefined) query.set(search[0], search[1]);
      query.set("limit", String(PAGE_SIZE));
      path = `owner-changes?${query}`;
    }
    const moreButton = control("more");
    moreButton.disabled = true;
    const current = ticket("recent");
    const result = await call<ListResponse>(path);
    if (!current()) return;
    moreButton.disabled = false;
    if (!result.ok) {
      if (result.status === 401 || result.status === 403) signOut(result.message);
      if (!more) rows.replaceChildren();
      moreButton.hidden = true;
      say("recent-message", panelFailure(result, path), "error");
      return;
    }
    const items = result.value.items.map(recentRow);
    if (more) rows.append(...items);
    else rows.replaceChildren(...items);
    nextPage = result.value.next;
    moreButton.hidden = nextPage === undefined;
    const shown = rows.childElementCount;
    say("recent-message", shown === 0 ? "No requests match." : `${shown} shown, newest first.`);
  }

  function renderChips(): void {
    const chip = (label: string, pressed: boolean, onClick: () => void) => {
      const chipButton = button(label, "chip");
      chipButton.setAttribute("aria-pressed", String(pressed));
      chipButton.addEventListener("click", onClick);
      return chipButton;
    };
    const refresh = () => {
      renderChips();
      void loadRecent();
    };
    byId("chips").replaceChildren(
      chip("all", filters.statuses.size === 0, () => {
        filters.statuses.clear();
        refresh();
      }),
      ...config.statuses.map((status) =>
        chip(status, filters.statuses.has(status), () => {
          if (!filters.statuses.delete(status)) filters.statuses.add(status);
          refresh();
        }),
      ),
    );
  }

  // ---- a request's history ----

  function fact(term: string, value: string | number | undefined): PageElement[] {
    return value === undefined || value === ""
      ? []
      : [el("dt", { text: term }), el("dd", { text: String(value) })];
  }

  async function showHistory(id: string): Promise<void> {
    const panel = byId("history");
    panel.hidden = false;
    byId("history-title").textContent = `History of ${id}`;
    const current = ticket("history");
    const result = await call<StatusDocument>(`owner-changes/${encodeURIComponent(id)}`);
    if (!current()) return;
    if (!result.ok) {
      byId("history-facts").replaceChildren();
      byId("history-timeline").replaceChildren();
      say("history-message", result.message, "error");
      return;
    }
    const doc = result.value;
    byId("history-facts").replaceChildren(
      ...fact("status", doc.outcome ? `${doc.status} (${doc.outcome})` : doc.status),
      ...fact("change", `${doc.action} ${doc.email}${doc.dryRun ? " (dry run)" : ""}`),
      ...fact("iTwin", doc.itwinId),
      ...fact("via", doc.source ? `${doc.via} · ${doc.source}` : doc.via),
      ...fact("requested by", doc.requestedBy),
      ...fact("reason", doc.reason),
      ...fact("approved by", doc.approvedBy),
      ...fact("attempts", doc.attempts),
      ...fact("429 retries", doc.rateLimitRetries),
      ...fact("error", doc.error ? `${doc.error.code}: ${doc.error.message}` : undefined),
      ...fact("API correlation id", doc.apiCorrelationId),
    );
    byId("history-timeline").replaceChildren(
      ...doc.history.map((entry: HistoryEntry) =>
        el(
          "li",
          {},
          el("time", { text: when(entry.at), attrs: { datetime: entry.at } }),
          badge(entry.status),
          el("span", { className: "note", text: entry.note ?? "" }),
        ),
      ),
    );
    say("history-message", `Updated ${when(doc.updatedAt)} UTC.`);
    panel.scrollIntoView({ block: "nearest" });
  }

  // ---- held removals ----

  async function decide(id: string, decision: "approve" | "reject", buttons: PageControl[]): Promise<void> {
    const who = control("who").value.trim();
    if (who === "") {
      say("held-message", "Enter who is deciding (recorded as “by”) first.", "error");
      byId("who").focus();
      return;
    }
    sessionStorage.setItem(WHO_ITEM, who);
    const reason = control("reason").value.trim();
    for (const each of buttons) each.disabled = true;
    const result = await call<StatusDocument>(`owner-changes/${encodeURIComponent(id)}/${decision}`, {
      by: who,
      ...(reason === "" ? {} : { reason }),
    });
    for (const each of buttons) each.disabled = false;
    if (!result.ok) {
      say("held-message", result.message, "error");
      return;
    }
    await loadHeld();
    say(
      "held-message",
      `${decision === "approve" ? "Approved" : "Rejected"} ${id}: now ${result.value.status}.`,
    );
    void loadRecent();
    void loadCounters();
  }

  async function loadHeld(): Promise<void> {
    const rows = byId("held-rows");
    const path = "owner-changes?status=held&limit=50";
    const current = ticket("held");
    const result = await call<ListResponse>(path);
    if (!current()) return;
    if (!result.ok) {
      rows.replaceChildren();
      say("held-message", panelFailure(result, path), "error");
      return;
    }
    rows.replaceChildren(
      ...result.value.items.map((item) => {
        const approve = button("Approve", "approve");
        const reject = button("Reject", "reject");
        const open = button(item.id, "link");
        approve.addEventListener("click", () => void decide(item.id, "approve", [approve, reject]));
        reject.addEventListener("click", () => void decide(item.id, "reject", [approve, reject]));
        open.addEventListener("click", () => void showHistory(item.id));
        return el(
          "tr",
          { attrs: { "data-id": item.id } },
          el("td", { text: when(item.createdAt) }),
          el("td", { className: "email", text: item.email }),
          el("td", { className: "mono", text: item.itwinId }),
          el("td", { className: "mono" }, open),
          el("td", { className: "actions" }, approve, reject),
        );
      }),
    );
    const count = result.value.items.length;
    say(
      "held-message",
      count === 0
        ? "No held removals."
        : `${count}${result.value.next ? "+" : ""} held, waiting for a decision.`,
    );
  }

  // ---- poison queues ----

  async function replay(queue: string, body: { ids: string[] } | { all: true }): Promise<void> {
    const result = await call<ReplayResult>(`poison/${queue}/replay`, body);
    await loadPoison(queue);
    if (!result.ok) {
      say(`poison-${queue}-message`, result.message, "error");
      return;
    }
    const skipped = result.value.skipped.map((s) => `${s.messageId}: ${s.reason}`);
    say(
      `poison-${queue}-message`,
      [`Replayed ${result.value.replayed.length}, skipped ${skipped.length}.`, ...skipped].join("\n"),
    );
  }

  async function loadPoison(queue: string): Promise<void> {
    const rows = byId(`poison-${queue}-rows`);
    const all = control(`poison-${queue}-all`);
    const path = `poison/${queue}`;
    const current = ticket(path);
    const result = await call<{ messages: PoisonMessage[] }>(path);
    if (!current()) return;
    if (!result.ok) {
      rows.replaceChildren();
      all.hidden = true;
      say(`poison-${queue}-message`, panelFailure(result, path), "error");
      return;
    }
    const { messages } = result.value;
    rows.replaceChildren(
      ...messages.map((message) => {
        const replayOne = button("Replay");
        replayOne.addEventListener("click", () => {
          replayOne.disabled = true;
          void replay(queue, { ids: [message.messageId] });
        });
        const change = message.change;
        const what = change
          ? [change.action, change.email, change.itwinId, change.requestId].filter(Boolean).join(" ")
          : "";
        return el(
          "tr",
          {},
          el("td", { text: when(message.insertedOn) }),
          el("td", { className: "reason", text: message.reason }),
          el("td", { text: what }),
          el("td", { text: message.dequeueCount === undefined ? "" : String(message.dequeueCount) }),
          el("td", { className: "actions" }, replayOne),
        );
      }),
    );
    all.hidden = messages.length === 0;
    say(
      `poison-${queue}-message`,
      messages.length === 0
        ? "Empty."
        : `${messages.length} message${messages.length === 1 ? "" : "s"}${messages.length >= 32 ? ", the first 32 listed" : ""}.`,
    );
  }

  // ---- wiring ----

  function loadAll(): void {
    void loadCounters();
    void loadRecent();
    void loadHeld();
    for (const queue of ["requests", "jobs"]) void loadPoison(queue);
  }

  // A key in the address (`?code=`, as Azure's own links carry it) moves to sessionStorage and out of the
  // URL before anything else runs, so it is not kept in the history entry, bookmarks or a shared link.
  const url = new URL(window.location.href);
  const code = url.searchParams.get("code");
  if (code !== null) {
    url.searchParams.delete("code");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    if (code.trim() !== "") sessionStorage.setItem(KEY_ITEM, code.trim());
  }

  byId("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = control("key");
    const entered = input.value.trim();
    input.value = "";
    if (entered === "") {
      say("login-message", "Enter a key.", "error");
      return;
    }
    sessionStorage.setItem(KEY_ITEM, entered);
    say("login-message", "");
    showSignedIn(true);
    loadAll();
  });
  byId("signout").addEventListener("click", () => signOut(""));
  byId("refresh").addEventListener("click", loadAll);
  byId("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    filters.search = control("search").value.trim();
    void loadRecent();
  });
  byId("more").addEventListener("click", () => void loadRecent(true));
  for (const queue of ["requests", "jobs"]) {
    byId(`poison-${queue}-all`).addEventListener("click", () => void replay(queue, { all: true }));
  }
  byId("history-close").addEventListener("click", () => {
    byId("history").hidden = true;
  });
  control("who").value = sessionStorage.getItem(WHO_ITEM) ?? "";
  renderChips();
  if (key() === null) {
    showSignedIn(false);
  } else {
    showSignedIn(true);
    loadAll();
  }
}
