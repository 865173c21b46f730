/** What every route handler gets: the shared state plus the request being answered. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimulatorState } from "./state.ts";

export interface SimulatorContext {
  state: SimulatorState;
  /** The server's own base URL, e.g. http://127.0.0.1:7080 (API base and OIDC authority). */
  url: string;
  /** Aborted when the server closes, so stalls and latency end promptly. */
  closing: AbortSignal;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Method + route template, for stats and logs; handlers set it once they recognise the route. */
  route: string;
  /** The OAuth client behind the token, once known. */
  clientId?: string;
  /** Short remarks for the request log (e.g. "fault=rule:503"). */
  notes: string[];
}
