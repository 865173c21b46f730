/** The OAuth clients the simulated IMS knows, and how a service client appears as an iTwin member. */
import { timingSafeEqual } from "node:crypto";
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from "../stack/credentials.ts";

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export const DEFAULT_CLIENTS: readonly ClientCredentials[] = [
  { clientId: DEV_CLIENT_ID, clientSecret: DEV_CLIENT_SECRET },
];

/** The address under which IMS service clients are added to iTwins (design §6). */
export function serviceClientEmail(clientId: string): string {
  return `${clientId}@apps.imsoidc.bentley.com`;
}

export function authenticateClient(
  clients: readonly ClientCredentials[],
  clientId: string,
  clientSecret: string,
): boolean {
  const client = clients.find((candidate) => candidate.clientId === clientId);
  if (!client) return false;
  const expected = Buffer.from(client.clientSecret);
  const given = Buffer.from(clientSecret);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
