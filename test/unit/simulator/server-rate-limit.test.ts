import { afterEach, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../../dev/simulator/seed.ts";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  manualClock,
  ownersPath,
  startTestSimulator,
  type TestSimulator,
} from "./helpers.ts";

let sim: TestSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

// The seed's response was sent at 19:24:14.386 and named the reset 19:24:15.3864257Z.
const T0 = Date.UTC(2022, 7, 29, 19, 24, 14, 386);

describe("per-client rate limit", () => {
  it("puts x-rate-limit-* on every API response, with the seed's reset format", async () => {
    const clock = manualClock(T0);
    sim = await startTestSimulator({ now: clock.now });
    const response = await sim.api(ownersPath(SEEDED_ITWINS.bridgeRetrofit));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-rate-limit-limit")).toBe("1s");
    expect(response.headers.get("x-rate-limit-remaining")).toBe("49");
    expect(response.headers.get("x-rate-limit-reset")).toBe("2022-08-29T19:24:15.0000000Z");
    expect(response.headers.get("x-rate-limit-reset")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  });

  it("refuses the request past the limit with 429 + Retry-After, then recovers in the next window", async () => {
    const clock = manualClock(T0);
    sim = await startTestSimulator({ now: clock.now, rateLimit: { limit: 3, windowMs: 1000 } });
    const path = ownersPath(SEEDED_ITWINS.waterPlant);
    const remaining: (string | null)[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await sim.api(path);
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("x-rate-limit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);

    const refused = await sim.api(path);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-rate-limit-remaining")).toBe("0");
    expect(refused.headers.get("x-rate-limit-reset")).toBe("2022-08-29T19:24:15.0000000Z");
    expect(await refused.json()).toEqual({
      error: {
        code: "RateLimitExceeded",
        message: "The client sent more requests than allowed by this API for the current tier of the client.",
      },
    });
    expect(sim.state.stats()).toMatchObject({ rateLimited: 1, byStatus: { 429: 1 } });

    clock.set(Date.UTC(2022, 7, 29, 19, 24, 15, 0));
    const next = await sim.api(path);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-rate-limit-remaining")).toBe("2");
  });

  it("rounds Retry-After up to whole seconds for minute windows", async () => {
    const clock = manualClock(Date.UTC(2024, 0, 1, 0, 0, 30, 250));
    sim = await startTestSimulator({ now: clock.now, rateLimit: { limit: 1, windowMs: 60_000 } });
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant))).headers.get("x-rate-limit-limit")).toBe(
      "1m",
    );
    const refused = await sim.api(ownersPath(SEEDED_ITWINS.waterPlant));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30"); // 29.75 s left
  });

  it("keeps a separate budget per client and does not limit the token endpoint", async () => {
    const clock = manualClock(T0);
    sim = await startTestSimulator({
      now: clock.now,
      rateLimit: { limit: 1, windowMs: 1000 },
      clients: [
        { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
        { clientId: "other", clientSecret: "other-secret" },
      ],
    });
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant))).status).toBe(200);
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant))).status).toBe(429);
    for (let index = 0; index < 5; index += 1) await sim.token();

    const response = await fetch(`${sim.url}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&scope=itwin-platform&client_id=other&client_secret=other-secret",
    });
    const { access_token } = (await response.json()) as { access_token: string };
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token: access_token })).status).toBe(200);
  });
});
