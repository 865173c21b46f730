import { describe, expect, it } from "vitest";
import { checkPolicy, type Policy } from "../../../src/changes/policy.ts";
import { parseSettings } from "../../../src/config.ts";
import { buildServices } from "../../../src/services.ts";
import { ITWIN_ID, openPolicy, SERVICE_CLIENT_EMAIL } from "../../support/fixtures.ts";

/**
 * The service must not lock itself out: on the owners API only owners may change owners, so removing
 * the service client's own owner address would end its right to manage that iTwin.
 */

const SERVICE = SERVICE_CLIENT_EMAIL;
const ITWIN = ITWIN_ID;
const policy: Policy = openPolicy;
const removeService = { itwinId: ITWIN, email: SERVICE, action: "remove" } as const;

describe("removing the service client's own owner address", () => {
  it("is rejected with ServiceClientRemoval and a message that names the address and says why", () => {
    const verdict = checkPolicy(removeService, policy);
    expect(verdict).toEqual({ allowed: false, code: "ServiceClientRemoval", message: expect.any(String) });
    expect(verdict.allowed || verdict.message).toContain(SERVICE);
    expect(verdict.allowed || verdict.message).toMatch(/could no longer manage/);
  });

  it("is rejected whatever the case of either address", () => {
    expect(checkPolicy({ ...removeService, email: SERVICE.toUpperCase() }, policy)).toMatchObject({
      code: "ServiceClientRemoval",
    });
    expect(
      checkPolicy(removeService, {
        ...policy,
        serviceClientEmail: "ITwin-Owner-Automation-Dev@Apps.IMSOIDC.bentley.com",
      }),
    ).toMatchObject({ code: "ServiceClientRemoval" });
  });

  it("is rejected when the setting is left out of the policy: the guard is on unless asked off", () => {
    expect(checkPolicy(removeService, { ...policy, allowRemovingServiceClient: false })).toMatchObject({
      code: "ServiceClientRemoval",
    });
    expect("allowRemovingServiceClient" in policy).toBe(false);
    expect(checkPolicy(removeService, policy).allowed).toBe(false);
  });

  it("is allowed when the setting explicitly allows it", () => {
    expect(checkPolicy(removeService, { ...policy, allowRemovingServiceClient: true })).toEqual({
      allowed: true,
    });
  });

  it("does not stop adding the service client, nor removing another application or a person", () => {
    expect(checkPolicy({ ...removeService, action: "add" }, policy)).toEqual({ allowed: true });
    const otherApp = "another-client@apps.imsoidc.bentley.com";
    expect(checkPolicy({ ...removeService, email: otherApp }, policy)).toEqual({ allowed: true });
    expect(checkPolicy({ ...removeService, email: "bob@corp.example" }, policy)).toEqual({ allowed: true });
  });
});

describe("POLICY_ALLOW_REMOVING_SERVICE_CLIENT", () => {
  const env = {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    ITWIN_API_BASE_URL: "http://127.0.0.1:1",
    ITWIN_AUTHORITY: "http://127.0.0.1:1",
    ITWIN_CLIENT_ID: "Itwin-Owner-Automation-Dev",
    ITWIN_CLIENT_SECRET: "not-used-here",
  };
  const wired = (extra: Record<string, string>) => buildServices(parseSettings({ ...env, ...extra })).policy;

  it("is off by default, and the app's policy rejects removing its own client id's address", () => {
    expect(checkPolicy(removeService, wired({}))).toMatchObject({ code: "ServiceClientRemoval" });
  });

  it('reaches the policy as on when set to "true" and as off when "false"', () => {
    expect(checkPolicy(removeService, wired({ POLICY_ALLOW_REMOVING_SERVICE_CLIENT: "true" }))).toEqual({
      allowed: true,
    });
    expect(
      checkPolicy(removeService, wired({ POLICY_ALLOW_REMOVING_SERVICE_CLIENT: "false" })),
    ).toMatchObject({ code: "ServiceClientRemoval" });
  });

  it("stops start-up naming the setting when its value is not a flag", () => {
    expect(() => parseSettings({ ...env, POLICY_ALLOW_REMOVING_SERVICE_CLIENT: "yes" })).toThrow(
      /POLICY_ALLOW_REMOVING_SERVICE_CLIENT is invalid/,
    );
  });
});
