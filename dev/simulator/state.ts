/**
 * Everything the simulator remembers, behind one object that tests can drive directly: iTwins and their
 * owners, issued tokens, rate-limit windows, fault configuration, counters and the applied-write log.
 */
import { type ClientCredentials, DEFAULT_CLIENTS } from "./clients.ts";
import {
  type AddItwinInput,
  type Invitation,
  ItwinDirectory,
  type ItwinSummary,
  type Member,
} from "./directory.ts";
import { type FaultConfigInput, FaultInjector, type FaultSnapshot } from "./faults.ts";
import { FixedWindowRateLimiter, type RateLimitPolicy } from "./rate-limit.ts";
import { seedDemoItwins } from "./seed.ts";
import { type SimulatorStats, StatsRecorder } from "./stats.ts";
import { TokenStore } from "./tokens.ts";
import { type AppliedWrite, WriteLog } from "./write-log.ts";

export interface SimulatorStateOptions {
  orgDomain: string;
  clients: readonly ClientCredentials[];
  rateLimit: RateLimitPolicy;
  tokenTtlSeconds: number;
  seed: boolean;
  maxPageSize: number;
  now: () => number;
}

export const DEFAULT_STATE_OPTIONS: SimulatorStateOptions = {
  orgDomain: "corp.example",
  clients: DEFAULT_CLIENTS,
  rateLimit: { limit: 50, windowMs: 1000 },
  tokenTtlSeconds: 3600,
  seed: true,
  maxPageSize: 100,
  now: Date.now,
};

export class SimulatorState {
  readonly options: SimulatorStateOptions;
  readonly directory: ItwinDirectory;
  readonly tokens: TokenStore;
  readonly rateLimiter: FixedWindowRateLimiter;
  readonly faults = new FaultInjector();
  /** What the owners API actually changed (see write-log.ts); the routes write it, tests read it. */
  readonly writeLog: WriteLog;
  readonly #stats = new StatsRecorder();

  constructor(options: Partial<SimulatorStateOptions> = {}) {
    this.options = { ...DEFAULT_STATE_OPTIONS, ...options };
    if (this.options.clients.length === 0) throw new Error("the simulator needs at least one client");
    if (!Number.isInteger(this.options.maxPageSize) || this.options.maxPageSize < 1) {
      throw new RangeError(`maxPageSize must be a positive integer, got ${this.options.maxPageSize}`);
    }
    this.directory = new ItwinDirectory({ now: this.options.now, orgDomain: this.options.orgDomain });
    this.tokens = new TokenStore(this.options.now, this.options.tokenTtlSeconds);
    this.rateLimiter = new FixedWindowRateLimiter(this.options.rateLimit);
    this.writeLog = new WriteLog(this.options.now);
    if (this.options.seed) this.#seed();
  }

  now(): number {
    return this.options.now();
  }

  /** Adds an iTwin; `owners` may include `email: null` members. */
  addItwin(input: AddItwinInput = {}): { id: string } {
    return this.directory.add(input);
  }

  itwins(): ItwinSummary[] {
    return this.directory.list();
  }

  owners(itwinId: string): Member[] {
    return this.directory.owners(itwinId);
  }

  invitations(itwinId: string): Invitation[] {
    return this.directory.invitations(itwinId);
  }

  /** Simulates the invited user accepting: they become an owner. */
  acceptInvitation(itwinId: string, invitationId: string): Member | undefined {
    return this.directory.acceptInvitation(itwinId, invitationId);
  }

  /** Writes the owners API applied, oldest first; `since` = the last `seq` already seen. */
  appliedWrites(since = 0): AppliedWrite[] {
    return this.writeLog.list(since);
  }

  /** The stats recorder the server writes to. */
  get recorder(): StatsRecorder {
    return this.#stats;
  }

  stats(): SimulatorStats {
    return this.#stats.snapshot();
  }

  resetStats(): void {
    this.#stats.reset();
  }

  /** Replaces the fault configuration; throws FaultConfigError on invalid input. */
  setFaults(config: FaultConfigInput): FaultSnapshot {
    return this.faults.configure(config);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Every token issued so far now gets 401; returns how many were still valid. */
  revokeTokens(): number {
    return this.tokens.revokeAll();
  }

  /**
   * Back to a fresh start: iTwins (re-seeded when seeding is on), faults, rate-limit windows, stats and
   * the applied-write log.
   * Issued tokens stay valid (use revokeTokens for that), so a client's cached token survives a reset.
   */
  reset(): void {
    this.directory.clear();
    this.faults.clear();
    this.rateLimiter.reset();
    this.#stats.reset();
    this.writeLog.clear();
    if (this.options.seed) this.#seed();
  }

  #seed(): void {
    const [serviceClient] = this.options.clients;
    if (serviceClient)
      seedDemoItwins(this.directory, serviceClient.clientId, this.directory.organizationName);
  }
}
