import { describe, expect, it } from "vitest";
import { FaultConfigError, FaultInjector, parseFaultConfig } from "../../../dev/simulator/faults.ts";
import { mulberry32 } from "../../../dev/simulator/prng.ts";

const OWNERS = "/accesscontrol/itwins/abc/members/owners";

describe("FaultInjector rules", () => {
  it("answers the next matching request once, then lets requests through", () => {
    const faults = new FaultInjector();
    faults.configure({ rules: [{ method: "POST", respond: { status: 503 } }] });
    expect(faults.next("GET", OWNERS).action).toBeUndefined();
    expect(faults.next("POST", OWNERS).action).toMatchObject({ kind: "respond", status: 503 });
    expect(faults.next("POST", OWNERS).action).toBeUndefined();
  });

  it("consumes `times` uses and tries rules in order", () => {
    const faults = new FaultInjector();
    faults.configure({
      rules: [
        { pathIncludes: "/owners/", times: 2, respond: { status: 404 } },
        { times: 3, respond: { status: 429 } },
      ],
    });
    const statuses = [
      faults.next("DELETE", `${OWNERS}/m1`),
      faults.next("GET", OWNERS),
      faults.next("DELETE", `${OWNERS}/m1`),
      faults.next("DELETE", `${OWNERS}/m1`),
      faults.next("GET", OWNERS),
      faults.next("GET", OWNERS),
    ].map((decision) => (decision.action?.kind === "respond" ? decision.action.status : "none"));
    expect(statuses).toEqual([404, 429, 404, 429, 429, "none"]);
    expect(faults.snapshot().rules.map((rule) => rule.remaining)).toEqual([0, 0]);
  });

  it("accepts reset and stall either inside respond or on the rule", () => {
    const faults = new FaultInjector();
    faults.configure({
      rules: [{ respond: { reset: true } }, { reset: true }, { respond: { stallMs: 50 } }, { stallMs: 10 }],
    });
    expect([1, 2, 3, 4].map(() => faults.next("GET", OWNERS).action)).toEqual([
      { kind: "reset" },
      { kind: "reset" },
      { kind: "stall", stallMs: 50 },
      { kind: "stall", stallMs: 10 },
    ]);
  });

  it("keeps raw bodies and headers", () => {
    const faults = new FaultInjector();
    faults.configure({
      rules: [
        { respond: { status: 502, body: "<html>Bad Gateway</html>", headers: { "retry-after": "2" } } },
      ],
    });
    expect(faults.next("GET", OWNERS).action).toEqual({
      kind: "respond",
      status: 502,
      body: "<html>Bad Gateway</html>",
      headers: { "retry-after": "2" },
    });
  });

  it("matches the method case-insensitively", () => {
    const faults = new FaultInjector();
    faults.configure({ rules: [{ method: "delete", respond: { status: 500 } }] });
    expect(faults.next("DELETE", OWNERS).action).toMatchObject({ status: 500 });
  });

  it("adds the configured latency to every decision", () => {
    const faults = new FaultInjector();
    faults.configure({ latencyMs: 25 });
    expect(faults.next("GET", OWNERS)).toEqual({ latencyMs: 25 });
  });
});

describe("errorRate", () => {
  it("is repeatable for a seed", () => {
    const run = () => {
      const faults = new FaultInjector();
      faults.configure({ errorRate: 0.5, seed: 42 });
      return Array.from({ length: 40 }, () => faults.next("GET", OWNERS).action?.kind ?? "ok");
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first).toContain("respond");
    expect(first).toContain("ok");
  });

  it("answers 503 always at rate 1 and never at rate 0", () => {
    const faults = new FaultInjector();
    faults.configure({ errorRate: 1, seed: 1 });
    expect(faults.next("GET", OWNERS)).toMatchObject({ source: "errorRate", action: { status: 503 } });
    faults.configure({ errorRate: 0 });
    expect(faults.next("GET", OWNERS).action).toBeUndefined();
  });

  it("rules win over errorRate", () => {
    const faults = new FaultInjector();
    faults.configure({ errorRate: 1, seed: 1, rules: [{ respond: { status: 418 } }] });
    expect(faults.next("GET", OWNERS)).toMatchObject({ source: "rule", action: { status: 418 } });
  });

  it("mulberry32 yields numbers in [0,1)", () => {
    const random = mulberry32(7);
    for (let index = 0; index < 1000; index += 1) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});

describe("parseFaultConfig validation", () => {
  it.each([
    [{ errorRate: 2 }],
    [{ latencyMs: -1 }],
    [{ rules: [{ method: "PATCH", respond: { status: 500 } }] }],
    [{ rules: [{ respond: { status: 99 } }] }],
    [{ rules: [{}] }],
    [{ rules: [{ reset: true, stallMs: 5 }] }],
    [{ rules: [{ respond: { status: 500, body: "x", json: {} } }] }],
    [{ rules: [{ times: 0, respond: { status: 500 } }] }],
    [{ unknown: true }],
    ["not an object"],
  ])("refuses %j", (input) => {
    expect(() => parseFaultConfig(input)).toThrow(FaultConfigError);
  });

  it("names the offending path", () => {
    try {
      parseFaultConfig({ rules: [{ respond: { status: 99 } }] });
      expect.unreachable();
    } catch (error) {
      expect((error as FaultConfigError).issues[0]?.path).toContain("rules.0");
    }
  });

  it("fills defaults", () => {
    expect(parseFaultConfig({})).toEqual({ rules: [], errorRate: 0, latencyMs: 0 });
  });
});
