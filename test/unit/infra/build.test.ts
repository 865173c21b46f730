import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The production build (scripts/build.mjs) on a scratch entry, in a scratch folder: what azd uploads
 * must be a complete app root that loads in the Functions host's way, and that Flex Consumption's
 * remote build leaves alone.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const script = path.join(root, "scripts", "build.mjs");
let scratch = "";

const build = (...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "build-test-"));
  writeFileSync(
    path.join(scratch, "entry.ts"),
    [
      'import { app } from "@azure/functions";',
      'app.http("ping", { methods: ["GET"], authLevel: "anonymous", handler: async () => ({ body: "pong" }) });',
    ].join("\n"),
  );
});

afterAll(() => {
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
});

describe("scripts/build.mjs", () => {
  it("bundles an entry into a self-contained app root", () => {
    const out = path.join(scratch, "dist");
    const result = build("--entry", path.join(scratch, "entry.ts"), "--outdir", out);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/index\.js\s+[\d.]+ KiB/);

    for (const file of ["index.js", "index.js.map", "host.json", "package.json", ".funcignore"]) {
      expect(existsSync(path.join(out, file)), file).toBe(true);
    }
    const deployPackage = JSON.parse(readFileSync(path.join(out, "package.json"), "utf8"));
    expect(deployPackage).toMatchObject({ type: "module", main: "index.js" });
    // Flex Consumption's remote build runs `npm install` and `npm run build`: both must be no-ops.
    expect(deployPackage.scripts).toBeUndefined();
    expect(deployPackage.dependencies).toBeUndefined();
    expect(readFileSync(path.join(out, "host.json"), "utf8")).toBe(
      readFileSync(path.join(root, "host.json"), "utf8"),
    );
    expect(readFileSync(path.join(out, ".funcignore"), "utf8")).toMatch(/^\*\.map$/m);

    const bundle = readFileSync(path.join(out, "index.js"), "utf8");
    expect(bundle).toMatch(/^import \{ createRequire/);
    expect(bundle).not.toMatch(/\/\/# sourceMappingURL/);
  });

  it("leaves @azure/functions-core to the host, reached through Module.prototype.require", () => {
    const out = path.join(scratch, "dist");
    // What the Functions host's Node worker does: answer require("@azure/functions-core") itself.
    const probe = path.join(scratch, "probe.cjs");
    writeFileSync(
      probe,
      `
const Module = require("node:module");
const registered = [];
const core = {
  registerFunction: (metadata) => { registered.push(metadata.name); return { dispose() {} }; },
  setProgrammingModel() {}, getProgrammingModel() {}, registerHook() { return { dispose() {} }; }, log() {},
};
Module.prototype.require = new Proxy(Module.prototype.require, {
  apply(target, self, args) {
    return args[0] === "@azure/functions-core" ? core : Reflect.apply(target, self, args);
  },
});
import(${JSON.stringify(path.join(out, "index.js"))}).then(() => console.log(JSON.stringify(registered)));
`,
    );
    const result = spawnSync(process.execPath, [probe], { encoding: "utf8", timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual(["ping"]);
  });

  it("fails clearly when the entry is missing", () => {
    const result = build("--entry", path.join(scratch, "missing.ts"), "--outdir", path.join(scratch, "none"));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("missing.ts not found");
    expect(existsSync(path.join(scratch, "none"))).toBe(false);
  });

  it("bundles one copy of a package version npm installed twice, and a banner only where it is used", () => {
    const project = path.join(scratch, "dedupe");
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
      writeFileSync(path.join(project, file), text);
    };
    // npm's layout when hoisting is blocked: the same shared@1.0.0 under both packages that need it.
    for (const owner of ["first", "second"]) {
      write(`node_modules/${owner}/package.json`, `{"name":"${owner}","version":"1.0.0","main":"index.js"}`);
      write(`node_modules/${owner}/index.js`, `module.exports = require("shared") + "-${owner}";`);
      write(
        `node_modules/${owner}/node_modules/shared/package.json`,
        '{"name":"shared","version":"1.0.0","main":"index.js"}',
      );
      write(
        `node_modules/${owner}/node_modules/shared/index.js`,
        'module.exports = "shared-body-" + "marker";',
      );
    }
    write("later.ts", "export const later = (n: number) => n * 2;\n");
    write(
      "entry.ts",
      [
        'import { app } from "@azure/functions";',
        'import first from "first";',
        'import second from "second";',
        'app.http("ping", { methods: ["GET"], authLevel: "anonymous",',
        '  handler: async () => ({ body: [first, second, (await import("./later.ts")).later(2)].join(" ") }) });',
      ].join("\n"),
    );
    const out = path.join(project, "dist");
    const result = build("--entry", path.join(project, "entry.ts"), "--outdir", out);
    expect(result.status, result.stderr).toBe(0);

    const chunkFiles = readdirSync(path.join(out, "chunks")).filter((file) => file.endsWith(".js"));
    const code = [readFileSync(path.join(out, "index.js"), "utf8")].concat(
      chunkFiles.map((file) => readFileSync(path.join(out, "chunks", file), "utf8")),
    );
    expect(code.join("\n").split("shared-body-marker").length - 1).toBe(1);

    const later = chunkFiles.find((file) => file.startsWith("later-"));
    expect(later).toBeDefined();
    const laterCode = readFileSync(path.join(out, "chunks", `${later}`), "utf8");
    expect(laterCode).not.toMatch(/createRequire/);
    // The map lost the banner's lines too: it maps no line the code does not have.
    const map = JSON.parse(readFileSync(path.join(out, "chunks", `${later}.map`), "utf8"));
    expect(map.mappings.split(";").length).toBeLessThanOrEqual(laterCode.split("\n").length);
    expect(map.mappings.startsWith(";")).toBe(false);
    expect(readFileSync(path.join(out, "index.js"), "utf8")).toMatch(/^import \{ createRequire/);
  });
});
