/**
 * The identity pool's caller × operation table of one stack: each caller's token (or none)
 * through the modelled GetId / GetCredentialsForIdentity, then each request with the
 * credentials it got, decided by iam-simulate from the stack's documents (identity-pool.ts).
 */
import { ofType, policyDocument } from "../helpers/harness";
import { credentialsFor, identityIdFor, PoolModel, request } from "./identity-pool";
import { Issuer } from "./issuer";
import { SUB } from "./matrix";

/** The operations, in the order of the table's columns. */
export const POOL_OPERATIONS = [
  "S3 PUT documents/{own}",
  "S3 GET documents/{own}",
  "S3 GET documents/{B's}",
  "S3 PUT documents/{B's}",
  "S3 GET boarding-passes/{own}",
  "S3 PUT boarding-passes/{own}",
  "RUM PutRumEvents",
  "DynamoDB GetItem bookings",
] as const;

/** One caller: a label and the token it presents (none: a guest). */
interface PoolCaller {
  label: string;
  claims?: Record<string, unknown>;
}

/** The callers: users A and B, a federated user, a guest and three tokens the pool refuses. */
function poolCallers(model: PoolModel, outputs: Record<string, any>): PoolCaller[] {
  const [provider] = model.providers;
  const idToken = (sub: string, extra: Record<string, unknown> = {}) => ({
    iss: `https://${provider.providerName}`,
    aud: provider.clientId,
    token_use: "id",
    sub,
    email: `${sub.slice(0, 8)}@example.com`,
    ...extra,
  });
  return [
    { label: "user A (ID token, web client)", claims: idToken(SUB.A) },
    { label: "user B (ID token, web client)", claims: idToken(SUB.B) },
    {
      label: "federated user (IdP groups: admin)",
      claims: idToken(SUB.federated, { groups: ["admin"] }),
    },
    { label: "guest (no token)" },
    {
      label: "user A's access token",
      claims: {
        ...idToken(SUB.A),
        aud: undefined,
        client_id: provider.clientId,
        token_use: "access",
      },
    },
    {
      label: "ID token of the machine client",
      claims: idToken(String(outputs.machineClientId), { aud: outputs.machineClientId }),
    },
    {
      label: "ID token of another user pool",
      claims: idToken(SUB.A, {
        iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other0000",
      }),
    },
  ];
}

/** The resource of each operation for a caller whose own identity id is `own`. */
function resourceOf(model: PoolModel, op: string, own: string): { action: string; arn: string } {
  const b = identityIdFor(model, SUB.B);
  const run = model.run;
  if (op === "RUM PutRumEvents") {
    const guest = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((p) =>
      p.name.endsWith("-guest-policy"),
    );
    const monitor = guest
      ? String(policyDocument(guest.inputs.policy).Statement[0].Resource[0])
      : `arn:aws:rum:${model.region}:123456789012:appmonitor/web`;
    return { action: "rum:PutRumEvents", arn: monitor };
  }
  if (op === "DynamoDB GetItem bookings") {
    const table = ofType(run, "aws:dynamodb/table:Table").find((t) => t.name === "bookings-table");
    return { action: "dynamodb:GetItem", arn: String(table?.arn) };
  }
  const [, method, folder, whose] = /^S3 (PUT|GET) ([a-z-]+)\/\{(own|B's)\}$/.exec(op)!;
  const id = whose === "own" ? own : b;
  return {
    action: method === "PUT" ? "s3:PutObject" : "s3:GetObject",
    arn: `${model.bucketArn}/${folder}/${id}/${folder === "documents" ? "passport.pdf" : "LH400.pdf"}`,
  };
}

/** One row per caller: the cell of every operation. */
export async function poolMatrix(
  model: PoolModel,
  issuer: Issuer,
  outputs: Record<string, any>,
): Promise<{ caller: string; cells: string[] }[]> {
  const rows: { caller: string; cells: string[] }[] = [];
  for (const caller of poolCallers(model, outputs)) {
    const token = caller.claims ? issuer.sign(caller.claims) : undefined;
    const creds = await credentialsFor(model, issuer, token);
    if ("refused" in creds) {
      rows.push({ caller: caller.label, cells: POOL_OPERATIONS.map(() => `✘ ${creds.refused}`) });
      continue;
    }
    const cells: string[] = [];
    for (const op of POOL_OPERATIONS) {
      const { action, arn } = resourceOf(model, op, creds.identityId);
      const decision = await request(model, creds, action, arn);
      cells.push(decision === "Allowed" ? "✔" : `✘ ${decision}`);
    }
    rows.push({ caller: caller.label, cells });
  }
  return rows;
}

/** The rows as a Markdown table. */
export function poolMarkdown(rows: { caller: string; cells: string[] }[]): string {
  const head = `| identity-pool caller | ${POOL_OPERATIONS.join(" | ")} |`;
  const rule = `|${" --- |".repeat(POOL_OPERATIONS.length + 1)}`;
  return [head, rule, ...rows.map((r) => `| ${r.caller} | ${r.cells.join(" | ")} |`)].join("\n");
}
