import type { HttpResponseInit } from "@azure/functions";
import type { FieldError } from "../changes/model.ts";

/** RFC 9457 problem details. `type` names the kind of problem; clients switch on it, people read `detail`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: readonly FieldError[];
  instance?: string;
}

const PROBLEM_TYPE_BASE = "urn:itwin-owner-automation:problem:";

export const PROBLEMS = {
  validation: { type: `${PROBLEM_TYPE_BASE}validation`, title: "The request is not valid", status: 400 },
  malformedJson: {
    type: `${PROBLEM_TYPE_BASE}malformed-json`,
    title: "The body is not valid JSON",
    status: 400,
  },
  tooLarge: { type: `${PROBLEM_TYPE_BASE}too-large`, title: "The request is too large", status: 413 },
  unsupportedMediaType: {
    type: `${PROBLEM_TYPE_BASE}unsupported-media-type`,
    title: "The body must be application/json",
    status: 415,
  },
  badSignature: {
    type: `${PROBLEM_TYPE_BASE}invalid-signature`,
    title: "The webhook signature is missing or invalid",
    status: 401,
  },
  keyReused: {
    type: `${PROBLEM_TYPE_BASE}idempotency-key-reused`,
    title: "The idempotency key was used for a different request",
    status: 422,
  },
  unreadableEvent: {
    type: `${PROBLEM_TYPE_BASE}unreadable-event`,
    title: "The source's mapping cannot read this event",
    status: 422,
  },
  notHeld: {
    type: `${PROBLEM_TYPE_BASE}not-held`,
    title: "Only a held change can be approved or rejected",
    status: 409,
  },
  conflict: {
    type: `${PROBLEM_TYPE_BASE}conflict`,
    title: "Another request changed this resource at the same moment",
    status: 409,
  },
  notFound: { type: `${PROBLEM_TYPE_BASE}not-found`, title: "No such owner-change request", status: 404 },
  unavailable: { type: `${PROBLEM_TYPE_BASE}unavailable`, title: "A dependency is unavailable", status: 503 },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export function problem(kind: ProblemKind, detail: string, extra: Partial<Problem> = {}): Problem {
  return { ...PROBLEMS[kind], detail, ...extra };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: body.status,
    headers: { "content-type": "application/problem+json", ...headers },
    body: JSON.stringify(body),
  };
}

/** 503 for a storage call that failed: the caller may repeat the same request after `retry-after`. */
export function unavailableResponse(detail: string, headers: Record<string, string> = {}): HttpResponseInit {
  return problemResponse(problem("unavailable", detail), { "retry-after": "5", ...headers });
}
