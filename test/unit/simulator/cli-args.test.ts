import { describe, expect, it } from "vitest";
import {
  CLI_DEFAULTS,
  CliError,
  helpText,
  parseCliArgs,
  parseRateLimit,
} from "../../../dev/simulator/cli-args.ts";

describe("parseRateLimit", () => {
  it.each([
    ["50/1s", { limit: 50, windowMs: 1000 }],
    ["50/s", { limit: 50, windowMs: 1000 }],
    ["500/1m", { limit: 500, windowMs: 60_000 }],
    ["10/250ms", { limit: 10, windowMs: 250 }],
    ["5000/1h", { limit: 5000, windowMs: 3_600_000 }],
  ])("%s", (text, expected) => {
    expect(parseRateLimit(text)).toEqual(expected);
  });

  it.each(["50", "fast", "0/1s", "50/0s", "-1/1s"])("refuses %s", (text) => {
    expect(() => parseRateLimit(text)).toThrow(CliError);
  });
});

describe("parseCliArgs", () => {
  it("has the documented defaults", () => {
    expect(parseCliArgs([])).toEqual(CLI_DEFAULTS);
    expect(CLI_DEFAULTS).toMatchObject({ port: 7080, rateLimit: { limit: 50, windowMs: 1000 } });
  });

  it("reads every flag, with a space or =", () => {
    expect(
      parseCliArgs([
        "--port",
        "0",
        "--rate-limit=500/1m",
        "--org-domain",
        "Acme.Test",
        "--token-ttl",
        "120",
        "--max-page-size=10",
        "--no-seed",
        "--quiet",
      ]),
    ).toEqual({
      port: 0,
      rateLimit: { limit: 500, windowMs: 60_000 },
      orgDomain: "acme.test",
      tokenTtlSeconds: 120,
      maxPageSize: 10,
      seed: false,
      quiet: true,
      help: false,
    });
  });

  it("refuses unknown flags and missing values", () => {
    expect(() => parseCliArgs(["--bogus"])).toThrow(CliError);
    expect(() => parseCliArgs(["--port"])).toThrow(/needs a value/);
    expect(() => parseCliArgs(["--port", "http"])).toThrow(CliError);
    expect(() => parseCliArgs(["--port", "70000"])).toThrow(CliError);
    expect(() => parseCliArgs(["--org-domain", "nodot"])).toThrow(CliError);
  });

  it("help explains flags, seeded iTwins, admin endpoints and faults", () => {
    expect(parseCliArgs(["--help"]).help).toBe(true);
    const text = helpText();
    for (const needle of [
      "--port",
      "--rate-limit",
      "--org-domain",
      "simulator ready",
      "5e3b1a7e-8c1d-4f3a-9b2e-000000000002",
      "/__admin/faults",
      "/__admin/tokens/revoke",
      "stallMs",
    ]) {
      expect(text).toContain(needle);
    }
  });
});
