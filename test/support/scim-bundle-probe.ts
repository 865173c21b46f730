import { canonicalise } from "../../src/scim/protocol/canonical.ts";
import { discover } from "../../src/scim/protocol/discovery.ts";
import { compileFilter } from "../../src/scim/protocol/filter.ts";
import { applyPatch } from "../../src/scim/protocol/patch.ts";

/**
 * What the SCIM protocol core answers, for test/integration/bundle.test.ts: the test bundles this entry
 * minified, as production is, and compares the answers with the same calls made under tsx.
 */
export async function scimAnswers(): Promise<unknown> {
  const meta = {
    resourceType: "User",
    created: "2026-01-01T00:00:00.000Z",
    lastModified: "2026-01-01T00:00:00.000Z",
  };
  const user = canonicalise(
    "User",
    { userName: "Ann@Corp.example", active: "True", emails: [{ value: "ann@corp.example", type: "work" }] },
    { id: "u-1", meta },
  );
  const patched = applyPatch("User", user, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: "Replace", path: "active", value: "False" }],
  });
  return {
    serviceProviderConfig: await discover("ServiceProviderConfig", undefined),
    resourceTypes: await discover("ResourceTypes", undefined),
    schemas: await discover("Schemas", undefined),
    user,
    patched,
    filtered: compileFilter('emails[type eq "work"].value eq "ANN@corp.example"').matches(user),
  };
}

if (process.argv[2] === "--print") process.stdout.write(JSON.stringify(await scimAnswers()));
