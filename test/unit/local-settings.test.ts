import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyLocalSettings, parseLocalSettings, readLocalSettings } from "../../src/local-settings.ts";

describe("local.settings.json", () => {
  it("reads Values (numbers as text, nulls skipped) and Host.LocalHttpPort", () => {
    expect(
      parseLocalSettings({
        IsEncrypted: false,
        Values: { AzureWebJobsStorage: "UseDevelopmentStorage=true", N: 3, NESTED: { a: 1 }, NULL: null },
        Host: { LocalHttpPort: 7072 },
      }),
    ).toEqual({
      values: { AzureWebJobsStorage: "UseDevelopmentStorage=true", N: "3", NESTED: '{"a":1}' },
      localHttpPort: 7072,
    });
    expect(parseLocalSettings({})).toEqual({ values: {}, localHttpPort: undefined });
  });

  it("refuses encrypted files, wrong shapes and a port that is not one, naming the file", () => {
    expect(() => parseLocalSettings({ IsEncrypted: true, Values: {} }, "x.json")).toThrow(
      /^x\.json: IsEncrypted/,
    );
    expect(() => parseLocalSettings([])).toThrow(/JSON object/);
    expect(() => parseLocalSettings({ Values: [] })).toThrow(/Values must be an object/);
    expect(() => parseLocalSettings({ Host: { LocalHttpPort: 70000 } })).toThrow(/LocalHttpPort: "70000"/);
    expect(() => parseLocalSettings({ Host: { LocalHttpPort: "http" } })).toThrow(/LocalHttpPort: "http"/);
  });

  it("fills only unset variables: the environment wins, even when empty", () => {
    const env: Record<string, string | undefined> = { A: "from-env", EMPTY: "" };
    const filled = applyLocalSettings(env, { A: "from-file", B: "from-file", EMPTY: "from-file" });
    expect(env).toEqual({ A: "from-env", B: "from-file", EMPTY: "" });
    expect(filled).toEqual(["B"]);
  });

  describe("readLocalSettings", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "local-settings-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("a missing file is no settings unless required", async () => {
      const missing = join(dir, "missing.json");
      await expect(readLocalSettings(missing, false)).resolves.toBeUndefined();
      await expect(readLocalSettings(missing, true)).rejects.toThrow(/missing\.json/);
    });

    it("reads a file, and names it when it is not JSON", async () => {
      const good = join(dir, "good.json");
      await writeFile(good, JSON.stringify({ Values: { A: "1" } }));
      await expect(readLocalSettings(good, true)).resolves.toEqual({
        values: { A: "1" },
        localHttpPort: undefined,
      });
      const bad = join(dir, "bad.json");
      await writeFile(bad, "{ nope");
      await expect(readLocalSettings(bad, false)).rejects.toThrow(/bad\.json: not valid JSON/);
    });
  });
});
