import { serviceClientEmail } from "../../../dev/simulator/clients.ts";
import {
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from "../../../dev/simulator/server.ts";
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from "../../../dev/stack/credentials.ts";

/** The dev client the simulator knows by default. */
export const CLIENT_ID = DEV_CLIENT_ID;
export const CLIENT_SECRET = DEV_CLIENT_SECRET;
export const SERVICE_EMAIL = serviceClientEmail(CLIENT_ID);
export const V2_ACCEPT = "application/vnd.bentley.itwin-platform.v2+json";

/** A manual clock for deterministic rate-limit and expiry tests. */
export function manualClock(startMs: number) {
  let now = startMs;
  return {
    now: () => now,
    set(ms: number) {
      now = ms;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

export interface TestSimulator extends RunningSimulator {
  token(): Promise<string>;
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  admin(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<TestSimulator> {
  const sim = await startSimulator({ port: 0, ...options });
  let cached: string | undefined;
  const token = async () => {
    const response = await fetch(`${sim.url}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        scope: "itwin-platform",
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }),
    });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
    const body = (await response.json()) as { access_token: string };
    return body.access_token;
  };
  return {
    ...sim,
    token,
    async api(path, init = {}) {
      const { token: explicit, headers, ...rest } = init;
      if (explicit === undefined) cached ??= await token();
      const bearer = explicit === undefined ? cached : explicit;
      const allHeaders: Record<string, string> = {
        accept: V2_ACCEPT,
        ...(headers as Record<string, string>),
      };
      if (bearer !== null && bearer !== undefined) allHeaders.authorization = `Bearer ${bearer}`;
      if (rest.body !== undefined) allHeaders["content-type"] ??= "application/json";
      return fetch(`${sim.url}${path}`, { ...rest, headers: allHeaders });
    },
    admin(path, init = {}) {
      return fetch(`${sim.url}/__admin${path}`, init);
    },
  };
}

export function ownersPath(itwinId: string, suffix = ""): string {
  return `/accesscontrol/itwins/${itwinId}/members/owners${suffix}`;
}
