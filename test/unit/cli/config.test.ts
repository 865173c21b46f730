import { describe, expect, it } from "vitest";
import { LOCAL_URL, profilesPath, resolveTarget } from "../../../ops/cli/config.ts";

const profiles = {
  profiles: {
    prod: { url: "https://prod.example/api/", key: "prod-key" },
    lab: { url: "http://127.0.0.1:7999" },
  },
};
const base = { env: {}, profiles, profilesPath: "/p.json" };

describe("resolveTarget", () => {
  it("defaults to npm start's runner without a key", () => {
    expect(resolveTarget({ env: {}, profilesPath: "/p.json" })).toEqual({
      ok: true,
      target: { url: LOCAL_URL },
    });
  });

  it("ranks flags over a named profile over the environment, value by value", () => {
    const env = { OWNER_CHANGES_URL: "https://env.example", OWNER_CHANGES_KEY: "env-key" };
    expect(resolveTarget({ ...base, env })).toEqual({
      ok: true,
      target: { url: "https://env.example", key: "env-key" },
    });
    expect(resolveTarget({ ...base, env, profile: "prod" })).toEqual({
      ok: true,
      target: { url: "https://prod.example", key: "prod-key" },
    });
    expect(resolveTarget({ ...base, env: { ...env, OWNER_CHANGES_PROFILE: "lab" } })).toEqual({
      ok: true,
      target: { url: "http://127.0.0.1:7999", key: "env-key" },
    });
    expect(
      resolveTarget({ ...base, env, profile: "prod", url: "https://flag.example/", key: "flag-key" }),
    ).toEqual({
      ok: true,
      target: { url: "https://flag.example", key: "flag-key" },
    });
  });

  it("names a missing profile and the ones the file has", () => {
    expect(resolveTarget({ ...base, profile: "staging" })).toEqual({
      ok: false,
      message: 'no profile "staging" in /p.json (it has: prod, lab)',
    });
  });

  it("refuses to send a key over plain http to another machine, and URLs that are not http(s)", () => {
    expect(resolveTarget({ ...base, url: "http://10.0.0.5:7071", key: "k" })).toEqual({
      ok: false,
      message: "refusing to send a key over plain http to 10.0.0.5:7071; use https://",
    });
    expect(resolveTarget({ ...base, url: "http://localhost:7071", key: "k" })).toMatchObject({ ok: true });
    expect(resolveTarget({ ...base, url: "http://10.0.0.5:7071" })).toMatchObject({ ok: true });
    expect(resolveTarget({ ...base, url: "ftp://x" })).toMatchObject({ ok: false });
    expect(resolveTarget({ ...base, url: "not a url" })).toMatchObject({ ok: false });
  });

  it("finds the profile file from OWNER_CHANGES_PROFILES, XDG_CONFIG_HOME or the home folder", () => {
    expect(profilesPath({ OWNER_CHANGES_PROFILES: "/x.json" }, "/h")).toBe("/x.json");
    expect(profilesPath({ XDG_CONFIG_HOME: "/c" }, "/h")).toBe("/c/owner-changes/profiles.json");
    expect(profilesPath({}, "/h")).toBe("/h/.config/owner-changes/profiles.json");
  });
});
