import { describe, expect, it } from "vitest";
import { isFunctionDisabled, parseRunnerArgs } from "../../../dev/runner/settings.ts";
import { UsageError } from "../../../dev/stack/cli.ts";

describe("parseRunnerArgs", () => {
  it("has sensible defaults", () => {
    expect(parseRunnerArgs([], {})).toEqual({
      entry: "src/index.ts",
      port: undefined,
      hostJson: "host.json",
      localSettings: { path: "local.settings.json", explicit: false },
    });
  });

  it("reads flags, PORT and RUNNER_HOST_JSON", () => {
    expect(parseRunnerArgs(["--entry", "dist/index.js", "--port", "8080"], { PORT: "9000" })).toMatchObject({
      entry: "dist/index.js",
      port: 8080,
    });
    expect(parseRunnerArgs([], { PORT: "9000", RUNNER_HOST_JSON: "test/host.json" })).toMatchObject({
      port: 9000,
      hostJson: "test/host.json",
    });
    expect(parseRunnerArgs(["--host-json", "a.json"], { RUNNER_HOST_JSON: "b.json" })).toMatchObject({
      hostJson: "a.json",
    });
    expect(parseRunnerArgs(["--no-local-settings"], {})).toMatchObject({ localSettings: undefined });
    expect(parseRunnerArgs(["--local-settings", "x.json"], {})).toMatchObject({
      localSettings: { path: "x.json", explicit: true },
    });
  });

  it("answers help", () => {
    expect(parseRunnerArgs(["--help"], {})).toBe("help");
    expect(parseRunnerArgs(["-h"], {})).toBe("help");
  });

  it("rejects bad input with a usage error", () => {
    expect(() => parseRunnerArgs(["--port", "http"], {})).toThrow(UsageError);
    expect(() => parseRunnerArgs(["--port", "70000"], {})).toThrow(/not a port/);
    expect(() => parseRunnerArgs([], { PORT: "x" })).toThrow(/PORT/);
    expect(() => parseRunnerArgs(["--bogus"], {})).toThrow(UsageError);
    expect(() => parseRunnerArgs(["--local-settings", "a", "--no-local-settings"], {})).toThrow(UsageError);
  });
});

describe("isFunctionDisabled", () => {
  it("reads AzureWebJobs.<name>.Disabled as the host does: true or 1, any case", () => {
    expect(isFunctionDisabled("worker", { "AzureWebJobs.worker.Disabled": "true" })).toBe(true);
    expect(isFunctionDisabled("worker", { "azurewebjobs.WORKER.disabled": " TRUE " })).toBe(true);
    expect(isFunctionDisabled("worker", { "AzureWebJobs.worker.Disabled": "1" })).toBe(true);
  });

  it("leaves a function on for any other value, another name or no setting", () => {
    expect(isFunctionDisabled("worker", { "AzureWebJobs.worker.Disabled": "false" })).toBe(false);
    expect(isFunctionDisabled("worker", { "AzureWebJobs.worker.Disabled": "" })).toBe(false);
    expect(isFunctionDisabled("worker", { "AzureWebJobs.other.Disabled": "true" })).toBe(false);
    expect(isFunctionDisabled("worker", {})).toBe(false);
  });
});
