import { expect } from "vitest";

/** A small SCIM 2.0 client for the integration tests, sending what identity providers send. */

export const SCIM_MEDIA_TYPE = "application/scim+json";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";

export interface ScimAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: SCIM bodies are read field by field in the assertions
  body: any;
}

export function patchBody(...Operations: unknown[]) {
  return { schemas: [PATCH_OP], Operations };
}

/** Calls `{appUrl}/api/scim/v2{path}` with the bearer token; `path` is sent exactly as written. */
export function scimClient(appUrl: string, token: string) {
  async function call(method: string, path: string, body?: unknown): Promise<ScimAnswer> {
    const response = await fetch(`${appUrl}/api/scim/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": SCIM_MEDIA_TYPE }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  }

  return {
    call,
    /** Creates an active user whose primary work email is `userName`; `extra` overrides any attribute. */
    async createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
      const created = await call("POST", "/Users", {
        schemas: [USER_SCHEMA],
        userName,
        active: true,
        emails: [{ value: userName, type: "work", primary: true }],
        ...extra,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id;
    },
    async createGroup(displayName: string, memberIds: string[]): Promise<string> {
      const created = await call("POST", "/Groups", {
        schemas: [GROUP_SCHEMA],
        displayName,
        members: memberIds.map((value) => ({ value })),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id;
    },
    async patch(path: string, ...operations: unknown[]): Promise<void> {
      const patched = await call("PATCH", path, patchBody(...operations));
      expect([200, 204], JSON.stringify(patched.body)).toContain(patched.status);
    },
  };
}
