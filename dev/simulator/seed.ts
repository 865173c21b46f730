/**
 * The demo iTwins every fresh simulator starts with. Ids are fixed so README and curl examples work;
 * member ids are derived from the iTwin id and position, so they are stable across restarts too.
 */
import { serviceClientEmail } from "./clients.ts";
import type { ItwinDirectory, OwnerSeed } from "./directory.ts";

export const SEEDED_ITWINS = {
  /** Service client, carol@corp.example and one "missing user" (email null). */
  bridgeRetrofit: "5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
  /** Service client + owner001…owner250@corp.example: finding a member takes paging. */
  railYard: "5e3b1a7e-8c1d-4f3a-9b2e-000000000002",
  /** Service client only. */
  waterPlant: "5e3b1a7e-8c1d-4f3a-9b2e-000000000003",
} as const;

export const SEEDED_ITWIN_NAMES: Record<string, string> = {
  [SEEDED_ITWINS.bridgeRetrofit]: "Bridge Retrofit",
  [SEEDED_ITWINS.railYard]: "Rail Yard",
  [SEEDED_ITWINS.waterPlant]: "Water Plant",
};

export const RAIL_YARD_GENERATED_OWNERS = 250;

/** Adds the demo iTwins; `serviceClientId` is the client whose address is an owner of each. */
export function seedDemoItwins(directory: ItwinDirectory, serviceClientId: string, orgName: string): void {
  const service: OwnerSeed = {
    email: serviceClientEmail(serviceClientId),
    givenName: serviceClientId,
    surname: null,
    organization: orgName,
  };
  directory.add({
    id: SEEDED_ITWINS.bridgeRetrofit,
    name: "Bridge Retrofit",
    owners: [
      service,
      { email: "carol@corp.example", givenName: "Carol", surname: "Nakamura" },
      { email: null, givenName: null, surname: null, organization: null },
    ],
  });
  directory.add({
    id: SEEDED_ITWINS.railYard,
    name: "Rail Yard",
    owners: [
      service,
      ...Array.from({ length: RAIL_YARD_GENERATED_OWNERS }, (_, index) => {
        const number = String(index + 1).padStart(3, "0");
        return { email: `owner${number}@corp.example`, givenName: "Owner", surname: number };
      }),
    ],
  });
  directory.add({ id: SEEDED_ITWINS.waterPlant, name: "Water Plant", owners: [service] });
}
