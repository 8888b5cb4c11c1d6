/**
 * Test helpers: run the program or a few components under the SDK's mock engine, look up what
 * they registered, and read outputs without `apply` callbacks that could silently never run.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  loadStackConfig,
  ProgramRun,
  RegisteredResource,
  runProgram,
  RunOptions,
} from "../../tools/mock-engine";
import { PROJECT } from "../../config";
import { stackList } from "../../tools/stack-list";

export { ProgramRun, RegisteredResource };

/** Resolves an Output to its value (rejects if it never resolves within the run). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** The repository root: Pulumi.yaml and the stack files. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Every checked-in stack, from its `Pulumi.<stack>.yaml` file, in deploy order (the list the
 * workflows run, tools/stack-list.js): tests iterate these, so a new environment is tested by
 * adding its stack file and nothing else.
 */
export function stackNames(dir: string = REPO_ROOT): string[] {
  return stackList(dir).map((s) => s.stack);
}

/**
 * The config of a checked-in stack (Pulumi.<stack>.yaml with Pulumi.yaml defaults), with
 * project keys overridden: `{ logRetentionDays: "7" }` sets `sec1-api-platform:logRetentionDays`;
 * an `undefined` value removes the key. Values that are not strings are JSON-encoded.
 */
export function stackConfig(
  stack: string,
  overrides: Record<string, unknown> = {},
): Record<string, string> {
  const { config } = loadStackConfig(stack);
  for (const [key, value] of Object.entries(overrides)) {
    const qualified = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (value === undefined) delete config[qualified];
    else config[qualified] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

const stackRuns = new Map<string, Promise<ProgramRun>>();

/** One key per stack and overrides; undefined (which removes a key) stays distinct from absent. */
export function runKey(stack: string, overrides: Record<string, unknown>): string {
  return `${stack}\0${JSON.stringify(overrides, (_, v) => (v === undefined ? "\0unset" : v))}`;
}

/**
 * Runs the whole program (index.ts) for a stack, with optional config overrides. A run without
 * options happens once per stack and overrides in a mocha process and is shared: the program is
 * deterministic under the mocks, and tests only read a run (a run is about a second of CPU).
 */
export function runStack(
  stack: string,
  overrides: Record<string, unknown> = {},
  options: Partial<RunOptions> = {},
): Promise<ProgramRun> {
  const run = () => runProgram({ stack, config: stackConfig(stack, overrides), ...options });
  if (Object.keys(options).length > 0) return run();
  const key = runKey(stack, overrides);
  if (!stackRuns.has(key)) stackRuns.set(key, run());
  return stackRuns.get(key) as Promise<ProgramRun>;
}

/** Runs `build` (which creates components) under mocks with the dev stack's config. */
export function runComponents(
  build: () => Record<string, unknown> | void,
  options: Partial<RunOptions> = {},
): Promise<ProgramRun> {
  return runProgram({ stack: "dev", config: stackConfig("dev"), program: build, ...options });
}

/** Every registered resource of a type token, e.g. "aws:apigateway/method:Method". */
export function ofType(run: ProgramRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource of a type (and name suffix, if given); fails if there is not exactly one. */
export function one(run: ProgramRun, type: string, nameEndsWith = ""): RegisteredResource {
  const found = ofType(run, type).filter((r) => r.name.endsWith(nameEndsWith));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type}${nameEndsWith ? ` named *${nameEndsWith}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
    );
  }
  return found[0];
}

/** Parses a policy document input (a JSON string or an object). */
export function policyDocument(value: unknown): { Version?: string; Statement: any[] } {
  const doc = typeof value === "string" ? JSON.parse(value) : value;
  if (!doc || typeof doc !== "object") throw new Error(`not a policy document: ${String(value)}`);
  const statement = (doc as { Statement: unknown }).Statement;
  return { ...(doc as object), Statement: Array.isArray(statement) ? statement : [statement] };
}

/**
 * Overrides that give the prod stack an external OIDC issuer instead of its user pool (and its
 * federated providers), for tests of the OIDC path with prod's other settings.
 */
export const PROD_OIDC: Record<string, unknown> = {
  identityProvider: "oidc",
  oidcIssuer: "https://login.example-airline.com/oauth2/default",
  oidcAudiences: ["api://bookings"],
  identityProviders: [],
  // The identity pool trusts the stack's own user pool: none with an external issuer.
  identityPool: undefined,
};
