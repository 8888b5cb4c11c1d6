// The IdentityPool component: identity pool, its roles and role mapping, the bucket and its key.
import * as assert from "assert";
import {
  IdentityPool,
  IdentityPoolArgs,
  validateIdentityPoolArgs,
} from "../components/identity-pool";
import {
  IDENTITY_ID_VARIABLE,
  REFUSED_SERVICES,
  scopedRoleProblems,
} from "../components/identity-pool-access";
import { mermaidDiagram } from "../tools/diagram";
import { one, ofType, policyDocument, ProgramRun, runComponents } from "./helpers/harness";

const POOL = "aws:cognito/identityPool:IdentityPool";
const ATTACHMENT = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ENDPOINT = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abcdefghi";
const CLIENT = "webclient0123456789abcdefgh";
const RUM = "arn:aws:rum:eu-west-1:123456789012:appmonitor/sec1-airline-dev";

function args(overrides: Partial<IdentityPoolArgs> = {}): IdentityPoolArgs {
  return {
    userPoolEndpoint: ENDPOINT,
    webClientId: CLIENT,
    allowedOrigins: ["https://dev.app.example.com"],
    documentRetentionDays: 30,
    boardingPassRetentionDays: 60,
    protect: false,
    ...overrides,
  };
}

const runs = new Map<string, Promise<ProgramRun>>();
function runPool(overrides: Partial<IdentityPoolArgs> = {}): Promise<ProgramRun> {
  const key = JSON.stringify(overrides);
  if (!runs.has(key))
    runs.set(
      key,
      runComponents(() => {
        const p = new IdentityPool("identity-pool", args(overrides));
        return { authenticatedRoleArn: p.authenticatedRoleArn, guestRoleArn: p.guestRoleArn };
      }),
    );
  return runs.get(key) as Promise<ProgramRun>;
}

const roleNamed = (run: ProgramRun, suffix: string) => one(run, ROLE, suffix);
const policyOf = (run: ProgramRun, role: string) =>
  policyDocument(
    ofType(run, ROLE_POLICY).find((p) => p.inputs.role === roleNamed(run, role).id)!.inputs.policy,
  );

describe("components/identity-pool", () => {
  describe("validation", () => {
    it("accepts a telemetry-only guest role on one app monitor", () => {
      assert.deepStrictEqual(
        validateIdentityPoolArgs(
          "identity-pool",
          args({ guestRole: { actions: ["rum:PutRumEvents"], resources: [RUM] } }),
        ),
        [],
      );
    });

    it("refuses guest roles that could reach an API, a function or a data store, and wildcards, all at once", () => {
      const problems = scopedRoleProblems("guestRole", {
        actions: [
          "execute-api:Invoke",
          "appsync:GraphQL",
          "lambda:InvokeFunction",
          "dynamodb:GetItem",
          "s3:GetObject",
          "rds-data:ExecuteStatement",
          "rum:*",
          "*",
        ],
        resources: [
          "*",
          "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings",
          "arn:aws:rum:eu-west-1:123456789012:appmonitor/*",
        ],
      });
      for (const [i, service] of [
        "execute-api",
        "appsync",
        "lambda",
        "dynamodb",
        "s3",
        "rds-data",
      ].entries())
        assert.ok(
          problems.some(
            (p) => p.startsWith(`guestRole.actions[${i}]:`) && p.includes(`${service} is refused`),
          ),
          service,
        );
      assert.ok(
        problems.some((p) => /^guestRole\.actions\[6\]: wildcard actions are refused/.test(p)),
      );
      assert.ok(
        problems.some((p) => /^guestRole\.actions\[7\]: wildcard actions are refused/.test(p)),
      );
      assert.ok(
        problems.some((p) => /^guestRole\.resources\[0\]: wildcard resources are refused/.test(p)),
      );
      assert.ok(
        problems.some((p) => /^guestRole\.resources\[1\]: a dynamodb resource is refused/.test(p)),
      );
      assert.ok(
        problems.some((p) => /^guestRole\.resources\[2\]: wildcard resources are refused/.test(p)),
      );
      assert.strictEqual(problems.length, 11);
    });

    it("refuses an empty guest role and a resource no granted action applies to", () => {
      assert.deepStrictEqual(scopedRoleProblems("guestRole", { actions: [], resources: [] }), [
        "guestRole.actions: expected at least one action",
        "guestRole.resources: expected at least one ARN",
      ]);
      assert.match(
        scopedRoleProblems("guestRole", {
          actions: ["rum:PutRumEvents"],
          resources: ["arn:aws:mobiletargeting:eu-west-1:123456789012:apps/x"],
        })[0],
        /^guestRole\.resources\[0\]: no action of mobiletargeting is granted/,
      );
    });

    it("refuses every service a credential in a browser must not reach", () => {
      for (const service of [
        "execute-api",
        "appsync",
        "lambda",
        "dynamodb",
        "s3",
        "rds",
        "secretsmanager",
        "kms",
        "iam",
        "sts",
      ])
        assert.ok((REFUSED_SERVICES as readonly string[]).includes(service), service);
    });

    it("refuses duplicate and bad group roles, retention and origins, and throws before any child", async () => {
      const bad = args({
        groupRoles: [
          { group: "crew", actions: ["rum:PutRumEvents"], resources: [RUM] },
          { group: "crew", actions: ["s3:GetObject"], resources: [RUM] },
        ],
        documentRetentionDays: 0,
        allowedOrigins: ["https://app.example.com/path"],
      });
      const problems = validateIdentityPoolArgs("identity-pool", bad);
      assert.ok(problems.includes("groupRoles[1].group: duplicate group 'crew'"));
      assert.ok(problems.some((p) => p.startsWith("groupRoles[1].actions[0]:")));
      assert.ok(problems.some((p) => p.startsWith("documentRetentionDays:")));
      assert.ok(problems.some((p) => p.startsWith("allowedOrigins[0]:")));
      assert.ok(
        validateIdentityPoolArgs("identity-pool", args({ allowedOrigins: [] })).includes(
          "allowedOrigins: expected at least one origin of the web app",
        ),
      );
      await assert.rejects(
        runComponents(() => {
          new IdentityPool("bad", bad);
        }),
        /IdentityPool 'bad' has invalid args/,
      );
    });
  });

  describe("the pool and its roles", () => {
    it("takes ID tokens of the web client only, with the revocation check, no classic flow, no guests by default", async () => {
      const run = await runPool();
      const pool = one(run, POOL).inputs;
      assert.strictEqual(pool.allowUnauthenticatedIdentities, false);
      assert.strictEqual(pool.allowClassicFlow, false);
      assert.deepStrictEqual(pool.cognitoIdentityProviders, [
        { providerName: ENDPOINT, clientId: CLIENT, serverSideTokenCheck: true },
      ]);
      assert.strictEqual(ofType(run, ROLE).length, 1, "only the traveller role");
      assert.deepStrictEqual(Object.keys(one(run, ATTACHMENT).inputs.roles as object), [
        "authenticated",
      ]);
    });

    it("lets only this pool's signed-in identities assume the traveller role, by web identity", async () => {
      const run = await runPool();
      const trust = policyDocument(roleNamed(run, "-authenticated-role").inputs.assumeRolePolicy);
      assert.deepStrictEqual(trust.Statement, [
        {
          Sid: "SignedInIdentitiesOfThisPool",
          Effect: "Allow",
          Principal: { Federated: "cognito-identity.amazonaws.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { "cognito-identity.amazonaws.com:aud": one(run, POOL).id },
            "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
          },
        },
      ]);
    });

    it("maps roles by token claims for this user pool's client only, denying a token no rule matches", async () => {
      const run = await runPool({
        groupRoles: [{ group: "crew", actions: ["rum:PutRumEvents"], resources: [RUM] }],
      });
      const [mapping] = one(run, ATTACHMENT).inputs.roleMappings as Record<string, any>[];
      assert.strictEqual(mapping.identityProvider, `${ENDPOINT}:${CLIENT}`);
      assert.strictEqual(mapping.type, "Rules");
      assert.strictEqual(mapping.ambiguousRoleResolution, "Deny");
      const crew = roleNamed(run, "-group-0-role");
      const traveller = roleNamed(run, "-authenticated-role");
      assert.deepStrictEqual(mapping.mappingRules, [
        { claim: "cognito:groups", matchType: "Contains", value: "crew", roleArn: crew.arn },
        { claim: "aud", matchType: "Equals", value: CLIENT, roleArn: traveller.arn },
      ]);
      assert.deepStrictEqual(policyOf(run, "-group-0-role").Statement[0].Action, [
        "rum:PutRumEvents",
      ]);
    });

    it("scopes the traveller to their own documents (put, get) and boarding passes (get), under the identity id", async () => {
      const run = await runPool();
      const bucketArn = one(run, "aws:s3/bucket:Bucket").arn;
      const doc = policyOf(run, "-authenticated-role");
      const s3 = doc.Statement.filter((s) => String(s.Action).includes("s3:"));
      assert.deepStrictEqual(
        s3.map((s) => [s.Action, s.Resource]),
        [
          [["s3:PutObject", "s3:GetObject"], `${bucketArn}/documents/${IDENTITY_ID_VARIABLE}/*`],
          ["s3:GetObject", `${bucketArn}/boarding-passes/${IDENTITY_ID_VARIABLE}/*`],
        ],
      );
      const kms = doc.Statement.find((s) => s.Sid === "BucketKeyThroughS3");
      assert.strictEqual(kms.Resource, one(run, "aws:kms/key:Key").arn);
      assert.strictEqual(
        kms.Condition.StringEquals["kms:ViaService"],
        "s3.eu-west-1.amazonaws.com",
      );
      assert.strictEqual(doc.Statement.length, 3);
    });

    it("gives guests, when on, a role of unauthenticated identities with exactly the listed grant", async () => {
      const run = await runPool({ guestRole: { actions: ["rum:PutRumEvents"], resources: [RUM] } });
      assert.strictEqual(one(run, POOL).inputs.allowUnauthenticatedIdentities, true);
      const guest = roleNamed(run, "-guest-role");
      const trust = policyDocument(guest.inputs.assumeRolePolicy).Statement[0];
      assert.deepStrictEqual(trust.Condition["ForAnyValue:StringLike"], {
        "cognito-identity.amazonaws.com:amr": "unauthenticated",
      });
      assert.deepStrictEqual(policyOf(run, "-guest-role").Statement, [
        { Sid: "Granted", Effect: "Allow", Action: ["rum:PutRumEvents"], Resource: [RUM] },
      ]);
      assert.strictEqual((one(run, ATTACHMENT).inputs.roles as any).unauthenticated, guest.arn);
      const bucketPolicy = policyDocument(
        one(run, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy,
      );
      assert.ok(
        !JSON.stringify(bucketPolicy).includes(String(guest.arn)),
        "guests are not let into the bucket",
      );
    });
  });

  describe("the bucket and its key", () => {
    it("blocks public access, enforces bucket-owner ownership, encrypts with its key and versions", async () => {
      const run = await runPool();
      const block = one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
      for (const k of [
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
      ])
        assert.strictEqual(block[k], true, k);
      assert.deepStrictEqual(
        one(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule,
        { objectOwnership: "BucketOwnerEnforced" },
      );
      const [rule] = one(
        run,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs.rules as any[];
      assert.deepStrictEqual(rule, {
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: one(run, "aws:kms/key:Key").arn,
        },
        bucketKeyEnabled: true,
      });
      assert.strictEqual(
        (one(run, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration as any)
          .status,
        "Enabled",
      );
      assert.strictEqual(one(run, "aws:kms/key:Key").inputs.enableKeyRotation, true);
    });

    it("expires documents and boarding passes after their retention, old versions and stale uploads too", async () => {
      const run = await runPool();
      const lifecycle = one(
        run,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      );
      const rules = lifecycle.inputs.rules as any[];
      const byPrefix = (p: string) => rules.find((r) => r.filter?.prefix === p);
      assert.strictEqual(byPrefix("documents/").expiration.days, 30);
      assert.strictEqual(byPrefix("boarding-passes/").expiration.days, 60);
      for (const r of [byPrefix("documents/"), byPrefix("boarding-passes/")]) {
        assert.strictEqual(r.noncurrentVersionExpiration.noncurrentDays, 7);
        assert.strictEqual(r.abortIncompleteMultipartUpload.daysAfterInitiation, 1);
      }
      assert.ok(
        lifecycle.dependencies.includes(one(run, "aws:s3/bucketVersioning:BucketVersioning").urn),
      );
    });

    it("denies non-TLS requests, object data to every other principal and other encryption, in the bucket policy", async () => {
      const run = await runPool({
        platformRoleArns: ["arn:aws:iam::123456789012:role/boarding-pass-writer"],
      });
      const bucketArn = one(run, "aws:s3/bucket:Bucket").arn;
      const traveller = roleNamed(run, "-authenticated-role").arn;
      const doc = policyDocument(one(run, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
      const sid = (s: string) => doc.Statement.find((x) => x.Sid === s);
      assert.deepStrictEqual(sid("DenyInsecureTransport").Condition, {
        Bool: { "aws:SecureTransport": "false" },
      });
      assert.deepStrictEqual(sid("DenyInsecureTransport").Resource, [bucketArn, `${bucketArn}/*`]);
      assert.deepStrictEqual(sid("DenyDataToOtherPrincipals").Condition, {
        ArnNotEquals: {
          "aws:PrincipalArn": [traveller, "arn:aws:iam::123456789012:role/boarding-pass-writer"],
        },
      });
      assert.ok(
        doc.Statement.every((s) => s.Effect === "Deny"),
        "the policy grants nothing",
      );
      assert.strictEqual(
        sid("DenyOtherKeys").Condition.StringNotEquals[
          "s3:x-amz-server-side-encryption-aws-kms-key-id"
        ],
        one(run, "aws:kms/key:Key").arn,
      );
    });

    it("lets the account administer the key and the bucket's roles use it only through S3 for this bucket", async () => {
      const run = await runPool();
      const doc = policyDocument(one(run, "aws:kms/key:Key").inputs.policy);
      const [admin, use] = doc.Statement;
      assert.deepStrictEqual(admin.Principal, { AWS: "arn:aws:iam::123456789012:root" });
      assert.deepStrictEqual(use.Principal, { AWS: [roleNamed(run, "-authenticated-role").arn] });
      assert.deepStrictEqual(use.Action, ["kms:GenerateDataKey", "kms:Decrypt"]);
      assert.deepStrictEqual(use.Condition.StringEquals, {
        "kms:ViaService": "s3.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": one(run, "aws:s3/bucket:Bucket").arn,
      });
    });

    it("protects the pool, the bucket and the key when asked, and parents every child", async () => {
      const run = await runPool({ protect: true });
      for (const t of [POOL, "aws:s3/bucket:Bucket", "aws:kms/key:Key"])
        assert.strictEqual(one(run, t).options.protect, true, t);
      const component = one(run, "sec1:identity:IdentityPool");
      for (const r of run.resources.filter(
        (x) => x.custom && x.type.startsWith("aws:") && !x.type.startsWith("pulumi:"),
      ))
        assert.strictEqual(r.parent, component.urn, r.name);
    });
  });

  describe("the diagram", () => {
    it("draws the pool, the roles it hands out and what they reach in the bucket or elsewhere", async () => {
      const run = await runPool({ guestRole: { actions: ["rum:PutRumEvents"], resources: [RUM] } });
      const d = mermaidDiagram(run);
      assert.match(d, /\("Cognito identity pool<br\/>identity-pool-pool, guests on"\)/);
      assert.match(d, /-->\|"aud Equals webclient0123456789abcdefgh"\| n\d+/);
      assert.match(
        d,
        /-->\|"PutObject GetObject documents\/\$\{cognito-identity\.amazonaws\.com:sub\}\/\*"\| n\d+/,
      );
      assert.match(
        d,
        /-->\|"GetObject boarding-passes\/\$\{cognito-identity\.amazonaws\.com:sub\}\/\*"\| n\d+/,
      );
      assert.match(d, /\[\/"rum:eu-west-1:123456789012:appmonitor\/sec1-airline-dev"\/\]/);
      assert.match(d, /\(\("Guests"\)\) *\n/);
      assert.ok(!/-->\|"[^"]*kms/i.test(d), "the key grant is no reach edge");
    });
  });
});
