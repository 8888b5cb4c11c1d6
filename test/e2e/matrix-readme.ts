/**
 * The README's caller × operation matrix as a generated block: what it covers, how it is
 * measured (end to end, see matrix.ts) and how the block is written. `npm run generate`
 * (tools/generate.ts) rewrites the block with these functions; the e2e suite
 * (matrix.test.ts) measures once, checks the platform's rules on the result and checks the
 * block with the same functions.
 *
 * Why the drift check of this block lives in the e2e suite and not in test/generated.test.ts:
 * measuring loads the bundled handlers against dynalite, which must not share a process with
 * the unit tests' aws-sdk-client-mock (it patches the SDK's document client at load time), and
 * the e2e suite measures the matrix anyway for its rules; checking it there costs nothing,
 * where a child process spawned by the unit suite would measure it a second time per `npm test`.
 */
import { stackList } from "../../tools/stack-list";
import { PROD_OIDC, REPO_ROOT } from "../helpers/harness";
import { saveEnv, stackModel } from "./harness";
import { startIssuer } from "./issuer";
import { poolMarkdown, poolMatrix } from "./identity-matrix";
import { poolModel } from "./identity-pool";
import { isCognito, markdown, matrix, plantFor } from "./matrix";
import { wsMarkdown, wsMatrix } from "./websocket";

export const MATRIX_START = "<!-- generated-matrix:start (npm run generate) -->";
export const MATRIX_END = "<!-- generated-matrix:end -->";

/** One measured row: a caller and the cell of every operation. */
export type Rows = { caller: string; cells: string[] }[];

/** One measured configuration: a stack, and config keys set over its stack file. */
export interface Variant {
  name: string;
  stack: string;
  overrides: Record<string, unknown>;
}

/**
 * What the matrix covers: each checked-in stack as it is (its Pulumi.<stack>.yaml, in deploy
 * order), and the last production stack to deploy with an external OIDC issuer in place of its
 * user pool (the other identity tier the program supports).
 */
export const VARIANTS: readonly Variant[] = (() => {
  const stacks = stackList(REPO_ROOT);
  const asIs = stacks.map((s): Variant => ({ name: s.stack, stack: s.stack, overrides: {} }));
  const production = stacks.filter((s) => s.posture !== "development").pop();
  if (!production) return asIs;
  const oidc = `${production.stack} with identityProvider: oidc`;
  return [...asIs, { name: oidc, stack: production.stack, overrides: PROD_OIDC }];
})();

/** One variant's measured matrix and its identity tier. */
export interface MeasuredVariant {
  name: string;
  /** Whether the variant signs users in with its own Cognito user pool. */
  cognito: boolean;
  rows: Rows;
  /** The identity pool's callers and operations, when the variant has one. */
  pool?: Rows;
  /** The WebSocket API's callers and operations, when the variant has one. */
  ws?: Rows;
}

/**
 * Measures every variant's matrix end to end, one plant at a time, and puts back the process's
 * environment (the bundles' variables) and fetch when done.
 */
export async function measureMatrices(): Promise<MeasuredVariant[]> {
  const restoreEnv = saveEnv();
  const issuer = await startIssuer();
  try {
    const measured: MeasuredVariant[] = [];
    for (const v of VARIANTS) {
      const model = await stackModel(v.stack, v.overrides);
      const plant = await plantFor(model, issuer);
      try {
        const rows = await matrix(plant);
        const pool = poolModel(model.run);
        const outputs = model.run.outputs as Record<string, unknown>;
        const ws = typeof outputs.liveUpdatesApiId === "string";
        measured.push({
          name: v.name,
          cognito: isCognito(model),
          rows,
          ...(pool ? { pool: await poolMatrix(pool, issuer, outputs) } : {}),
          ...(ws ? { ws: await wsMatrix(model, issuer) } : {}),
        });
      } finally {
        await plant.close();
      }
    }
    return measured;
  } finally {
    await issuer.close();
    restoreEnv();
  }
}

/** The README block of the measured matrices, markers included. */
export function matrixBlock(measured: MeasuredVariant[]): string {
  return [
    MATRIX_START,
    "",
    ...measured.flatMap((v) => [
      `**${v.name}** (${v.cognito ? "Cognito user pool" : "external OIDC issuer"})`,
      "",
      markdown(v.rows),
      "",
      ...(v.pool ? [poolMarkdown(v.pool), ""] : []),
      ...(v.ws ? [wsMarkdown(v.ws), ""] : []),
    ]),
    MATRIX_END,
  ].join("\n");
}

/** The README text with its generated matrix block replaced by `block`. */
export function withMatrix(readme: string, block: string): string {
  const start = readme.indexOf(MATRIX_START);
  const end = readme.indexOf(MATRIX_END);
  if (start < 0 || end < start)
    throw new Error(`README.md has no ${MATRIX_START} ... ${MATRIX_END} block`);
  return readme.slice(0, start) + block + readme.slice(end + MATRIX_END.length);
}
