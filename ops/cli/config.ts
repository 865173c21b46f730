import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";

/**
 * Where the CLI sends its requests, and with which key. Pure `resolveTarget` decides from flags,
 * environment and the profile file; `readProfiles` is the one read of that file.
 *
 * Precedence, per value: `--url` / `--key`; then the profile named by `--profile` (or
 * OWNER_CHANGES_PROFILE), because naming one is a deliberate choice; then OWNER_CHANGES_URL /
 * OWNER_CHANGES_KEY; then the local stack of `npm start` without a key.
 */

/** `npm start`'s runner (dev/start.ts: `--port`, default 7071). ops/ must not import dev/, hence the copy. */
export const LOCAL_URL = "http://127.0.0.1:7071";

const profileSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }),
  key: z.string().min(1).optional(),
});
export const profilesFileSchema = z.strictObject({ profiles: z.record(z.string(), profileSchema) });
export type ProfilesFile = z.output<typeof profilesFileSchema>;

export interface Target {
  /** Base URL without `/api` and without a trailing slash. */
  url: string;
  key?: string;
}

export interface TargetInput {
  url?: string;
  key?: string;
  profile?: string;
  env: Record<string, string | undefined>;
  /** The profile file's content, when it exists. */
  profiles?: ProfilesFile;
  profilesPath: string;
}

export type Resolved = { ok: true; target: Target } | { ok: false; message: string };

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function resolveTarget(input: TargetInput): Resolved {
  const profileName = input.profile ?? nonEmpty(input.env.OWNER_CHANGES_PROFILE);
  let profile: z.output<typeof profileSchema> | undefined;
  if (profileName !== undefined) {
    profile = input.profiles?.profiles[profileName];
    if (profile === undefined) {
      const known = Object.keys(input.profiles?.profiles ?? {});
      return {
        ok: false,
        message: `no profile "${profileName}" in ${input.profilesPath}${known.length > 0 ? ` (it has: ${known.join(", ")})` : ""}`,
      };
    }
  }
  const rawUrl = input.url ?? profile?.url ?? nonEmpty(input.env.OWNER_CHANGES_URL) ?? LOCAL_URL;
  const key = input.key ?? profile?.key ?? nonEmpty(input.env.OWNER_CHANGES_KEY);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, message: `the URL ${rawUrl} is not a URL` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, message: `the URL ${rawUrl} must start with http:// or https://` };
  }
  // A function key over plain HTTP to another machine could be read on the way: refuse to send it.
  if (key !== undefined && url.protocol === "http:" && !LOOPBACK.has(url.hostname)) {
    return { ok: false, message: `refusing to send a key over plain http to ${url.host}; use https://` };
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, "").replace(/\/api$/, "")}`;
  return { ok: true, target: { url: base, ...(key === undefined ? {} : { key }) } };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** OWNER_CHANGES_PROFILES, else `$XDG_CONFIG_HOME/owner-changes/profiles.json` (default `~/.config`). */
export function profilesPath(env: Record<string, string | undefined>, home: string): string {
  return (
    nonEmpty(env.OWNER_CHANGES_PROFILES) ??
    path.join(nonEmpty(env.XDG_CONFIG_HOME) ?? path.join(home, ".config"), "owner-changes", "profiles.json")
  );
}

/** The profile file, undefined when there is none; a file that exists but does not parse is an error naming it. */
export async function readProfiles(
  file: string,
): Promise<{ ok: true; profiles?: ProfilesFile } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ok: true };
    return { ok: false, message: `cannot read ${file}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${file} is not JSON: ${(error as Error).message}` };
  }
  const parsed = profilesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `${file}: ${issue?.path.join(".") || "(file)"} ${issue?.message ?? ""}` };
  }
  return { ok: true, profiles: parsed.data };
}
