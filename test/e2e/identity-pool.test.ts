/**
 * The identity pool end to end, on each stack as checked in: which tokens get credentials, the
 * role Cognito would pick from the stack's own role mapping, and what those credentials may do,
 * decided by the IAM policy engine (iam-simulate) from the stack's trust, role, bucket and key
 * policies (identity-pool.ts says what is modelled).
 */
import * as assert from "assert";
import { allowedContextKeysForRequest } from "@cloud-copilot/iam-simulate";
import { MOCK_ACCOUNT_ID } from "../../tools/mock-engine";
import { parsePlatformConfig } from "../../config";
import { one, runStack, stackConfig, stackNames } from "../helpers/harness";
import { POOL_OPERATIONS, poolMatrix } from "./identity-matrix";
import {
  assumes,
  credentialsFor,
  identityIdFor,
  PoolModel,
  poolModel,
  request,
  resolveRole,
} from "./identity-pool";
import { Issuer, startIssuer } from "./issuer";
import { SUB } from "./matrix";

type Rows = { caller: string; cells: string[] }[];

/** The stacks whose Pulumi.<stack>.yaml enables the identity pool, in deploy order. */
const POOL_STACKS = stackNames().filter(
  (stack) => parsePlatformConfig(stackConfig(stack)).identityPool.enabled,
);

const cell = (rows: Rows, caller: string, op: (typeof POOL_OPERATIONS)[number]) => {
  const row = rows.find((r) => r.caller.startsWith(caller));
  assert.ok(row, `no row for ${caller}`);
  return row.cells[POOL_OPERATIONS.indexOf(op)];
};

const idToken = (model: PoolModel, sub: string, extra: Record<string, unknown> = {}) => ({
  iss: `https://${model.providers[0].providerName}`,
  aud: model.providers[0].clientId,
  token_use: "id",
  sub,
  ...extra,
});

describe("e2e: the identity pool's credentials (iam-simulate on the stack's policies)", function () {
  this.timeout(120_000);
  let issuer: Issuer;
  const models: Record<string, PoolModel> = {};
  const rows: Record<string, Rows> = {};

  before(async () => {
    assert.ok(POOL_STACKS.length > 0, "no stack file enables the identity pool");
    issuer = await startIssuer();
    for (const stack of POOL_STACKS) {
      const run = await runStack(stack);
      const model = poolModel(run);
      assert.ok(model, `${stack} has an identity pool`);
      models[stack] = model;
      rows[stack] = await poolMatrix(model, issuer, run.outputs as Record<string, unknown>);
    }
  });
  after(() => issuer.close());

  for (const stack of POOL_STACKS) {
    it(`${stack}: user A puts and gets A's documents, not B's; gets A's boarding passes, never writes one`, () => {
      const r = rows[stack];
      assert.strictEqual(cell(r, "user A", "S3 PUT documents/{own}"), "✔");
      assert.strictEqual(cell(r, "user A", "S3 GET documents/{own}"), "✔");
      assert.match(cell(r, "user A", "S3 GET documents/{B's}"), /^✘ /);
      assert.match(cell(r, "user A", "S3 PUT documents/{B's}"), /^✘ /);
      assert.strictEqual(cell(r, "user A", "S3 GET boarding-passes/{own}"), "✔");
      assert.match(cell(r, "user A", "S3 PUT boarding-passes/{own}"), /^✘ /);
      for (const who of ["user A", "user B", "federated user"]) {
        assert.match(cell(r, who, "DynamoDB GetItem bookings"), /^✘ /);
        assert.match(cell(r, who, "RUM PutRumEvents"), /^✘ /);
      }
    });

    it(`${stack}: a federated user is a traveller (the IdP's groups claim maps to no role)`, () => {
      assert.strictEqual(cell(rows[stack], "federated user", "S3 PUT documents/{own}"), "✔");
      assert.match(cell(rows[stack], "federated user", "S3 GET documents/{B's}"), /^✘ /);
    });

    it(`${stack}: access tokens, other clients' and other pools' ID tokens get no credentials`, () => {
      for (const [who, why] of [
        ["user A's access token", "NotAuthorized (not an ID token)"],
        ["ID token of the machine client", "NotAuthorized (client)"],
        ["ID token of another user pool", "NotAuthorized (token)"],
      ])
        for (const c of rows[stack].find((x) => x.caller === who)!.cells)
          assert.strictEqual(c, `✘ ${why}`, who);
    });

    it(`${stack}: the traveller's own folder is closed without TLS and to every other principal`, async () => {
      const model = models[stack];
      const creds = await credentialsFor(model, issuer, issuer.sign(idToken(model, SUB.A)));
      assert.ok(!("refused" in creds));
      const own = `${model.bucketArn}/documents/${creds.identityId}/passport.pdf`;
      assert.strictEqual(await request(model, creds, "s3:GetObject", own), "Allowed");
      assert.strictEqual(
        await request(model, creds, "s3:GetObject", own, { "aws:SecureTransport": "false" }),
        "ExplicitlyDenied",
      );
      // An account administrator's role that may do anything still cannot read the documents.
      const admin = {
        roleArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ops-admin`,
        identityId: creds.identityId,
      };
      assert.strictEqual(await request(model, admin, "s3:GetObject", own), "ExplicitlyDenied");
    });
  }

  it("dev: guests reach only rum:PutRumEvents on the one app monitor; prod has no guests", async () => {
    const dev = rows.dev.find((r) => r.caller === "guest (no token)")!;
    for (const [i, op] of POOL_OPERATIONS.entries())
      assert.strictEqual(dev.cells[i].startsWith("✔"), op === "RUM PutRumEvents", op);
    const model = models.dev;
    const guest = await credentialsFor(model, issuer);
    assert.ok(!("refused" in guest));
    const other = "arn:aws:rum:eu-west-1:123456789012:appmonitor/someone-elses";
    assert.notStrictEqual(await request(model, guest, "rum:PutRumEvents", other), "Allowed");
    for (const c of rows.prod.find((r) => r.caller === "guest (no token)")!.cells)
      assert.strictEqual(c, "✘ NotAuthorized (no guests)");
  });

  it("the traveller role trusts only this pool's signed-in identities (aud and amr); the guest role only guests", async () => {
    const model = models.dev;
    const traveller = model.roles.authenticated!;
    const guest = model.roles.unauthenticated!;
    const signedIn = ["authenticated", model.providers[0].providerName];
    assert.strictEqual(await assumes(model, traveller, signedIn), true);
    assert.strictEqual(await assumes(model, traveller, ["unauthenticated"]), false);
    assert.strictEqual(
      await assumes(model, traveller, signedIn, "eu-west-1:00000000-0000-0000-0000-000000000000"),
      false,
    );
    assert.strictEqual(await assumes(model, guest, ["unauthenticated"]), true);
    assert.strictEqual(await assumes(model, guest, signedIn), false);
  });

  it("an identity no mapping rule matches gets nothing, not the default authenticated role", async () => {
    for (const stack of POOL_STACKS) {
      const model = models[stack];
      const key = `${model.providers[0].providerName}:${model.providers[0].clientId}`;
      assert.ok(model.roles.authenticated, "a default role exists, and is not used");
      assert.strictEqual(
        resolveRole(model, key, idToken(model, SUB.A, { aud: "another-client" })),
        undefined,
      );
      assert.strictEqual(resolveRole(model, key, idToken(model, SUB.A)), model.roles.authenticated);
      // The same claims under AuthenticatedRole would get the default role: what Deny prevents.
      const lax = {
        ...model,
        mappings: model.mappings.map((m) => ({
          ...m,
          ambiguousRoleResolution: "AuthenticatedRole",
        })),
      };
      assert.strictEqual(
        resolveRole(lax, key, idToken(model, SUB.A, { aud: "another-client" })),
        model.roles.authenticated,
      );
    }
  });

  it("a user-pool group's role goes to its members, never to a federated user whose IdP claims the group", async () => {
    const run = await runStack("dev", {
      identityPool: {
        enabled: true,
        guestRole: {
          actions: ["rum:PutRumEvents"],
          resources: ["arn:aws:rum:eu-west-1:123456789012:appmonitor/sec1-airline-dev"],
        },
        groupRoles: [
          {
            group: "crew",
            actions: ["rum:PutRumEvents"],
            resources: ["arn:aws:rum:eu-west-1:123456789012:appmonitor/crew"],
          },
        ],
      },
    });
    const model = poolModel(run)!;
    const crewRole = one(run, "aws:iam/role:Role", "-group-0-role").arn!;
    const crew = await credentialsFor(
      model,
      issuer,
      issuer.sign(idToken(model, SUB.B, { "cognito:groups": ["crew"] })),
    );
    assert.ok(!("refused" in crew) && crew.roleArn === crewRole);
    const monitor = "arn:aws:rum:eu-west-1:123456789012:appmonitor/crew";
    assert.strictEqual(await request(model, crew, "rum:PutRumEvents", monitor), "Allowed");
    const claimed = await credentialsFor(
      model,
      issuer,
      issuer.sign(idToken(model, SUB.federated, { groups: ["crew"], "custom:groups": "crew" })),
    );
    assert.ok(!("refused" in claimed) && claimed.roleArn === model.roles.authenticated);
    assert.notStrictEqual(await request(model, claimed, "rum:PutRumEvents", monitor), "Allowed");
    assert.strictEqual(identityIdFor(model, SUB.B), crew.identityId);
  });

  it("S3 offers no condition key for an upload's size or content type (why the README says policy cannot limit them)", async () => {
    const keys = await allowedContextKeysForRequest(
      "s3",
      "PutObject",
      `${models.dev.bucketArn}/documents/x/passport.pdf`,
      false,
      undefined,
    );
    assert.ok(keys.includes("s3:x-amz-server-side-encryption"), "the list is the action's own");
    assert.deepStrictEqual(
      keys.filter((k) => /content-type|content-length|size/.test(k)),
      [],
    );
  });
});
