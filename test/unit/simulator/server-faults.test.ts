import { afterEach, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../../dev/simulator/seed.ts";
import { manualClock, ownersPath, startTestSimulator, type TestSimulator } from "./helpers.ts";

let sim: TestSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const OWNERS = ownersPath(SEEDED_ITWINS.waterPlant);
const addAlice = (s: TestSimulator) =>
  s.api(OWNERS, { method: "POST", body: JSON.stringify({ email: "alice@corp.example" }) });

describe("fault rules on the owners API", () => {
  it("answers the next POST with 503 once, then succeeds", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ method: "POST", respond: { status: 503 } }] });
    expect((await sim.api(OWNERS)).status).toBe(200); // GET does not match
    const failed = await addAlice(sim);
    expect(failed.status).toBe(503);
    expect(failed.headers.get("x-correlation-id")).not.toBeNull();
    expect(await failed.json()).toMatchObject({ error: { code: "ServiceUnavailable" } });
    expect(sim.state.owners(SEEDED_ITWINS.waterPlant)).toHaveLength(1);
    expect((await addAlice(sim)).status).toBe(201);
    expect(sim.state.stats().faultsInjected).toBe(1);
  });

  it("sends raw non-JSON bodies (plain text and HTML gateway pages)", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({
      rules: [
        { respond: { status: 502, body: "upstream connect error" } },
        { respond: { status: 504, body: "<html><body>Gateway Timeout</body></html>" } },
        { respond: { status: 500, json: { message: "not the usual shape" } } },
      ],
    });
    const text = await sim.api(OWNERS);
    expect(text.status).toBe(502);
    expect(text.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await text.text()).toBe("upstream connect error");
    const html = await sim.api(OWNERS);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await html.text()).toContain("Gateway Timeout");
    const json = await sim.api(OWNERS);
    expect(await json.json()).toEqual({ message: "not the usual shape" });
    expect((await sim.api(OWNERS)).status).toBe(200);
  });

  it("gives injected 429s the x-rate-limit headers, letting rule headers override", async () => {
    const clock = manualClock(Date.UTC(2022, 7, 29, 19, 24, 14, 386));
    sim = await startTestSimulator({ now: clock.now });
    sim.state.setFaults({
      rules: [
        { times: 2, respond: { status: 429 } },
        { respond: { status: 429, headers: { "retry-after": "7" } } },
      ],
    });
    for (let index = 0; index < 2; index += 1) {
      const storm = await sim.api(OWNERS);
      expect(storm.status).toBe(429);
      expect(storm.headers.get("x-rate-limit-limit")).toBe("1s");
      expect(storm.headers.get("x-rate-limit-remaining")).toBe("0");
      expect(storm.headers.get("x-rate-limit-reset")).toBe("2022-08-29T19:24:15.0000000Z");
      expect(await storm.json()).toMatchObject({ error: { code: "RateLimitExceeded" } });
    }
    const withRetryAfter = await sim.api(OWNERS);
    expect(withRetryAfter.headers.get("retry-after")).toBe("7");
    expect(sim.state.stats().rateLimited).toBe(0);
  });

  it("matches pathIncludes against the path and query", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ pathIncludes: "$skip=100", respond: { status: 500 } }] });
    expect((await sim.api(ownersPath(SEEDED_ITWINS.railYard))).status).toBe(200);
    expect((await sim.api(`${ownersPath(SEEDED_ITWINS.railYard)}?$skip=100&$top=100`)).status).toBe(500);
  });

  it("resets the connection without answering, once", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ method: "POST", respond: { reset: true } }] });
    await expect(addAlice(sim)).rejects.toThrow();
    expect(sim.state.owners(SEEDED_ITWINS.waterPlant)).toHaveLength(1);
    expect((await addAlice(sim)).status).toBe(201);
    expect(sim.state.stats()).toMatchObject({ connectionResets: 1, faultsInjected: 1 });
  });

  it("stalls a request, then handles it normally", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ stallMs: 60 }] });
    const started = performance.now();
    const response = await addAlice(sim);
    expect(response.status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it("lets a client time out on a long stall, and close() still returns promptly", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ respond: { stallMs: 60_000 } }] });
    await expect(sim.api(OWNERS, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("adds latency to every owners request", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ latencyMs: 40 });
    const started = performance.now();
    expect((await sim.api(OWNERS)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it("turns requests into 503s at errorRate 1, and leaves the token endpoint alone", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ errorRate: 1, seed: 3, rules: [{ respond: { status: 500 } }] });
    await sim.token();
    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await sim.api(OWNERS)).status);
    expect(statuses).toEqual([500, 503, 503]);
    sim.state.clearFaults();
    expect((await sim.api(OWNERS)).status).toBe(200);
  });

  it("checks faults after authentication: a 401 does not consume a rule", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ respond: { status: 503 } }] });
    expect((await sim.api(OWNERS, { token: null })).status).toBe(401);
    expect((await sim.api(OWNERS)).status).toBe(503);
  });
});
