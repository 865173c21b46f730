import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitBatches } from "../../bench/lib/submit.ts";
import type { RunningSimulator } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { DEV_SERVICE_OWNER } from "../../dev/stack/credentials.ts";
import { REPO_ROOT } from "../../dev/stack/paths.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { sendRaw } from "../../dev/stack/queues.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { ITWIN_ID } from "../support/fixtures.ts";

/**
 * The ops page (design §3, `GET /api/ops`) in a real headless Chromium against the real stack: sign in,
 * filter, search, open a history, approve a held removal, read the counters, and a screenshot of it all
 * with real data in .ci/results/ops-page.png. Without a Chromium the test skips, saying how to get one;
 * with REQUIRE_CHROMIUM=1 (CI) it fails instead, so a broken install cannot pass as a skip.
 */

/** CHROMIUM_PATH when set (and then only it), else where Debian and Ubuntu put it. */
const CHROMIUM = (
  process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
).find((candidate) => existsSync(candidate));
const NO_CHROMIUM = process.env.CHROMIUM_PATH
  ? `no Chromium at CHROMIUM_PATH=${process.env.CHROMIUM_PATH}`
  : "no Chromium installed: apt-get install chromium (or set CHROMIUM_PATH)";
const SCREENSHOT = path.join(REPO_ROOT, ".ci", "results", "ops-page.png");
const FAILURE_SCREENSHOT = path.join(REPO_ROOT, ".ci", "results", "ops-page-failure.png");
/** Any key: the local runner checks none, so what is asserted is that the page sends it, and how. */
const KEY = "ops-page-test-key";
/** Rows per page of the recent list (src/ops-page/client.ts). */
const PAGE_SIZE = 25;
const FINAL = new Set(["succeeded", "failed", "rejected", "held"]);

let stack: AppStack | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  // More than two removals from one iTwin within the hour are held (src/changes/policy.ts).
  stack = await startAppStack({ env: { POLICY_MASS_REMOVAL_THRESHOLD: "2" } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function settled(baseUrl: string, ids: readonly string[]): Promise<StatusDocument[]> {
  return waitFor(
    async () => {
      const docs = await Promise.all(
        ids.map(
          async (id) => (await (await fetch(`${baseUrl}/api/owner-changes/${id}`)).json()) as StatusDocument,
        ),
      );
      return docs.every((doc) => FINAL.has(doc.status)) ? docs : undefined;
    },
    `requests ${ids.join(", ")} settled`,
    30_000,
    100,
  );
}

/**
 * Real traffic of every kind the page shows: adds (two of them answered 429 first), a removal the policy
 * rejects, one the API refuses, four removals from one iTwin of which the last two are held, and a
 * message the intake sends to the poison queue.
 */
async function seed(simulator: RunningSimulator, baseUrl: string, storage: string) {
  const owners = ["ann", "ben", "cid", "dot", "eve"].map((name) => ({ email: `${name}@corp.example` }));
  const { id: reorg } = simulator.state.addItwin({ name: "reorg", owners });
  const { id: refusing } = simulator.state.addItwin({ name: "refusing", owners: [] });
  simulator.state.setFaults({
    rules: [
      {
        method: "POST",
        pathIncludes: ITWIN_ID,
        times: 2,
        respond: {
          status: 429,
          headers: { "retry-after": "1" },
          json: { error: { code: "RateLimitExceeded" } },
        },
      },
      {
        method: "POST",
        pathIncludes: refusing,
        times: 1,
        respond: {
          status: 403,
          json: { error: { code: "InsufficientPermissions", message: "not an owner" } },
        },
      },
    ],
  });
  // Thirty new hires first, so the list needs a second page and the rarer cases stay on the first.
  const { id: team } = simulator.state.addItwin({ name: "new-team", owners: [] });
  const hires = await submitBatches(
    baseUrl,
    Array.from({ length: 30 }, (_, i) => ({
      itwinId: team,
      email: `hire-${i}@corp.example`,
      action: "add" as const,
    })),
  );
  const first = await submitBatches(baseUrl, [
    { itwinId: ITWIN_ID, email: "alice@corp.example", action: "add" },
    { itwinId: ITWIN_ID, email: "bob@corp.example", action: "add" },
    { itwinId: ITWIN_ID, email: DEV_SERVICE_OWNER, action: "remove" },
    { itwinId: refusing, email: "zoe@corp.example", action: "add" },
  ]);
  // One at a time, so that which removals are held is certain: the third and the fourth.
  const removals: StatusDocument[] = [];
  for (const name of ["ann", "ben", "cid", "dot"]) {
    const { ids } = await submitBatches(baseUrl, [
      { itwinId: reorg, email: `${name}@corp.example`, action: "remove" },
    ]);
    removals.push(...(await settled(baseUrl, ids)));
  }
  await sendRaw(storage, "owner-change-requests", "this is not an owner change");
  const others = await settled(baseUrl, [...hires.ids, ...first.ids]);
  await waitFor(
    async () => {
      const response = await fetch(`${baseUrl}/api/poison/requests`);
      return response.ok && ((await response.json()) as { messages: unknown[] }).messages.length > 0;
    },
    "the bad message in the requests poison queue",
    20_000,
    100,
  );
  return { docs: [...others, ...removals], held: removals.filter((doc) => doc.status === "held") };
}

const rows = (page: Page, tbody: string) => page.locator(`#${tbody} tr`);

describe("the ops page in headless Chromium", () => {
  it("signs in, filters, searches, shows a history, approves a held removal and charts the last 24 h", {
    timeout: 150_000,
  }, async (ctx) => {
    if (CHROMIUM === undefined || stack === undefined || browser === undefined) {
      if (process.env.REQUIRE_CHROMIUM === "1") throw new Error(`REQUIRE_CHROMIUM=1, but ${NO_CHROMIUM}`);
      ctx.skip(NO_CHROMIUM);
      return;
    }
    const baseUrl = stack.runner.url;
    const { docs, held } = await seed(stack.simulator, baseUrl, stack.azurite.connectionString);
    expect(held.map((doc) => doc.email)).toEqual(["cid@corp.example", "dot@corp.example"]);
    const byStatus = (status: string) => docs.filter((doc) => doc.status === status).length;
    expect(byStatus("rejected")).toBe(1);
    expect(byStatus("failed")).toBe(1);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    const problems: string[] = [];
    page.on("console", (message) => {
      // The browser asks for /favicon.ico on its own, and the search for "bob@" below is refused on
      // purpose; no other request of the page may fail.
      const from = message.location().url;
      if (message.type() === "error" && !/\/favicon\.ico$|email=bob%40/.test(from)) {
        problems.push(`console: ${message.text()} (${from})`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    const calls: { url: string; key: string | undefined }[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname !== "/api/ops") {
        calls.push({ url: request.url(), key: request.headers()["x-functions-key"] });
      }
    });

    try {
      // Load: the shell comes with its locks on, and asks for a key.
      const shell = await page.goto(`${baseUrl}/api/ops`);
      expect(shell?.status()).toBe(200);
      const headers = shell?.headers() ?? {};
      expect(headers["content-security-policy"]).toMatch(/script-src 'sha256-[^']+'; style-src 'sha256-/);
      expect(headers["content-security-policy"]).toContain("require-trusted-types-for 'script'");
      expect(headers).toMatchObject({ "x-content-type-options": "nosniff", "cache-control": "no-store" });
      await expect.poll(() => page.locator("#login").isVisible()).toBe(true);

      // Sign in: every panel loads; the recent list a page at a time, More following `next`, newest first.
      await page.fill("#key", KEY);
      await page.click("#login-form button[type=submit]");
      await rows(page, "recent-rows")
        .nth(PAGE_SIZE - 1)
        .waitFor();
      expect(await rows(page, "recent-rows").count()).toBe(PAGE_SIZE);
      const more = page.locator("#more");
      // A page may be short and still have a next one: bounded, each click waits for its page.
      for (let pages = 1; pages < 5 && (await more.isVisible()); pages++) {
        const next = page.waitForResponse((r) => r.url().includes("cursor="));
        await more.click();
        expect((await next).status()).toBe(200);
        // The button is disabled from the click until its page is in the table.
        await expect.poll(() => more.isEnabled()).toBe(true);
      }
      expect(await more.isVisible()).toBe(false);
      expect(await rows(page, "recent-rows").count()).toBe(docs.length);
      const created = await page.locator("#recent-rows tr td:first-child").allTextContents();
      expect(created).toEqual([...created].sort().reverse());

      // Filter by status: only the two held removals.
      const heldPage = page.waitForResponse((r) => /status=held&limit=25/.test(r.url()));
      await page.locator("#chips button", { hasText: /^held$/ }).click();
      expect((await heldPage).status()).toBe(200);
      await expect
        .poll(() => page.locator("#recent-rows .badge").allTextContents())
        .toEqual(["held", "held"]);

      // A problem from the API reads as its title, detail and the field at fault.
      await page.locator("#chips button", { hasText: /^all$/ }).click();
      await page.fill("#search", "bob@");
      const refused = page.waitForResponse((r) => r.url().includes("email=bob%40"));
      await page.click("#search-form button[type=submit]");
      expect((await refused).status()).toBe(400);
      await expect
        .poll(() => page.locator("#recent-message").textContent())
        .toMatch(/\(400\)[\s\S]*\nemail: /);
      expect(await page.locator("#recent-message").getAttribute("class")).toContain("error");

      // Search by email, with the filter back on "all".
      await page.fill("#search", "alice@corp.example");
      const searched = page.waitForResponse((r) => r.url().includes("email=alice%40corp.example"));
      await page.click("#search-form button[type=submit]");
      expect((await searched).status()).toBe(200);
      await expect
        .poll(() => page.locator("#recent-rows td.email").allTextContents())
        .toEqual(["alice@corp.example"]);

      // A history: alice's add went queued → processing → (429, queued again) … → succeeded.
      await page.locator("#recent-rows button.link").first().click();
      await page.locator("#history-timeline li").nth(2).waitFor();
      const timeline = await page.locator("#history-timeline .badge").allTextContents();
      expect(timeline[0]).toBe("queued");
      expect(timeline.at(-1)).toBe("succeeded");
      expect(await page.locator("#history-title").textContent()).toMatch(/^History of [rk]-/);

      // Approve the first held removal: it leaves the held list, the other stays.
      const [first, second] = held as [StatusDocument, StatusDocument];
      await expect.poll(() => rows(page, "held-rows").count()).toBe(2);
      await page.fill("#who", "it-lead@corp.example");
      await page.fill("#reason", "planned reorg");
      const decided = page.waitForResponse((r) => r.url().endsWith(`/api/owner-changes/${first.id}/approve`));
      await page.locator(`#held-rows tr[data-id="${first.id}"] button.approve`).click();
      expect((await decided).status()).toBe(200);
      await page.locator(`#held-rows tr[data-id="${first.id}"]`).waitFor({ state: "detached" });
      await expect.poll(() => page.locator("#held-rows tr").getAttribute("data-id")).toBe(second.id);
      expect(await page.locator("#held-message").textContent()).toBe(`Approved ${first.id}: now queued.`);
      const [approved] = await settled(baseUrl, [first.id]);
      expect(approved).toMatchObject({
        status: "succeeded",
        outcome: "removed",
        approvedBy: "it-lead@corp.example",
      });

      // The counters agree with the summary API, and the chart draws bars for outcomes and 429 retries.
      const summary = (await (await fetch(`${baseUrl}/api/owner-changes/summary?bucket=hour`)).json()) as {
        total: number;
        rateLimitRetries: number;
      };
      expect(summary.total).toBe(docs.length);
      expect(summary.rateLimitRetries).toBeGreaterThanOrEqual(2);
      await page.click("#refresh");
      await expect
        .poll(() => page.locator("#counter-tiles .tile.total .tile-value").textContent())
        .toBe(String(summary.total));
      expect(await page.locator("#counter-tiles .tile.retries .tile-value").textContent()).toBe(
        String(summary.rateLimitRetries),
      );
      expect(await page.locator("#counters-chart rect.bar.s-succeeded").count()).toBeGreaterThan(0);
      expect(await page.locator("#counters-chart rect.bar.retries").count()).toBeGreaterThan(0);

      // The screenshot: every request, the open history, one removal still held, the poison message.
      await page.fill("#search", "");
      const everything = page.waitForResponse((r) => /owner-changes\?limit=25$/.test(r.url()));
      await page.click("#search-form button[type=submit]");
      await everything;
      await rows(page, "recent-rows")
        .nth(PAGE_SIZE - 1)
        .waitFor();
      await rows(page, "poison-requests-rows").first().waitFor();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // The poison queue lists the bad message; replaying it is answered (it only fails again).
      expect(await page.locator("#poison-requests-rows td.reason").first().textContent()).not.toBe("");
      const replayed = page.waitForResponse((r) => r.url().endsWith("/api/poison/requests/replay"));
      await page.locator("#poison-requests-rows button").first().click();
      expect((await replayed).status()).toBe(200);
      await expect
        .poll(() => page.locator("#poison-requests-message").textContent())
        .toMatch(/^Replayed 1, skipped 0/);

      // The key went in the header of every call, and into no URL.
      expect(calls.length).toBeGreaterThan(8);
      expect(calls.filter((call) => call.key !== KEY)).toEqual([]);
      expect(calls.filter((call) => call.url.includes(KEY))).toEqual([]);

      // Opened with ?code=, a fresh tab signs in with it and takes it out of the address bar. Its server
      // is made to lack the jobs poison route, as an older app would: that panel says so.
      const linked = await context.newPage();
      await linked.route("**/api/poison/jobs", (route) =>
        route.fulfill({
          status: 404,
          contentType: "text/plain",
          body: "No function matches GET /api/poison/jobs",
        }),
      );
      await linked.goto(`${baseUrl}/api/ops?code=${KEY}-2`);
      await linked.locator("#recent-rows tr").first().waitFor();
      expect(new URL(linked.url()).search).toBe("");
      expect(await linked.evaluate("sessionStorage.getItem('owner-changes-ops.key')")).toBe(`${KEY}-2`);
      await expect
        .poll(() => linked.locator("#poison-jobs-message").textContent())
        .toMatch(/^Unavailable: this server does not answer GET \/api\/poison\/jobs \(404\)/);
      expect(problems).toEqual([]);
    } catch (error) {
      // What the page showed when it went wrong, beside the report; the error says what was awaited.
      await page.screenshot({ path: FAILURE_SCREENSHOT, fullPage: true }).catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });
});
