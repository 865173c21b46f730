import { describe, expect, it } from "vitest";
import { parseStartArgs } from "../../../dev/start.ts";

// Importing dev/start.ts starts nothing and installs no signal handler: only `main()` does.
describe("npm start arguments", () => {
  it("defaults to the ports the README names and the app's entry", () => {
    expect(parseStartArgs([])).toEqual({
      kind: "run",
      options: { port: 7071, simulatorPort: 7080, entry: "src/index.ts" },
    });
  });

  it("takes ports and an entry", () => {
    expect(
      parseStartArgs(["--port", "8081", "--simulator-port", "8090", "--entry", "dist/index.js"]),
    ).toEqual({
      kind: "run",
      options: { port: 8081, simulatorPort: 8090, entry: "dist/index.js" },
    });
  });

  it("asks for help", () => {
    expect(parseStartArgs(["-h"])).toEqual({ kind: "help" });
  });

  it("refuses what is not a port, or an unknown option, naming it", () => {
    expect(parseStartArgs(["--port", "0"])).toEqual({
      kind: "usage-error",
      message: '--port: "0" is not a port number (1-65535)',
    });
    expect(parseStartArgs(["--simulator-port", "http"])).toMatchObject({
      kind: "usage-error",
      message: expect.stringMatching(/^--simulator-port: "http"/),
    });
    expect(parseStartArgs(["--bogus"])).toMatchObject({
      kind: "usage-error",
      message: expect.stringMatching(/bogus/),
    });
  });
});
