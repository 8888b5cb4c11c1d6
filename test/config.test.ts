// The stack config (config.ts): every bad key reported at once, before any resource, and the
// production posture's safeguards.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS, ConfigError, parsePlatformConfig, PROJECT } from "../config";
import { loadStackConfig, registeredBeforeFailure } from "../tools/mock-engine";
import { PROD_OIDC, runStack, stackConfig, stackNames } from "./helpers/harness";

const tier = {
  name: "standard",
  rateLimit: 10,
  burstLimit: 20,
  quota: { limit: 1000, period: "DAY" },
};
const caller = {
  name: "points-accrual-batch",
  principal: { roleArn: "arn:aws:iam::111122223333:role/points-accrual-batch" },
  routes: ["POST /loyalty/{customerId}/points"],
  usagePlan: "standard",
};

/** Each case: the stack it starts from, the overrides that break it, and the key the error must name. */
const badConfigs: {
  what: string;
  stack: string;
  set: Record<string, unknown>;
  key: string;
}[] = [
  {
    what: "missing required key",
    stack: "dev",
    set: { environment: undefined },
    key: "environment",
  },
  {
    what: "environment name that is not a name",
    stack: "dev",
    set: { environment: "Staging Env" },
    key: "environment",
  },
  {
    what: "value outside the enum",
    stack: "dev",
    set: { posture: "strict" },
    key: "posture",
  },
  {
    what: "a stack without a posture is held to production's safeguards",
    stack: "dev",
    set: { posture: undefined },
    key: "wafEnabled",
  },
  {
    what: "wrong type (number expected)",
    stack: "dev",
    set: { logRetentionDays: "two weeks" },
    key: "logRetentionDays",
  },
  {
    what: "retention CloudWatch does not offer",
    stack: "dev",
    set: { logRetentionDays: "13" },
    key: "logRetentionDays",
  },
  { what: "unknown key", stack: "dev", set: { colour: "blue" }, key: `${PROJECT}:colour` },
  {
    what: "malformed CIDR",
    stack: "dev",
    set: { vpcCidrBlock: "10.0.0.0/33" },
    key: "vpcCidrBlock",
  },
  {
    what: "existing VPC without its id",
    stack: "prod",
    set: { existingVpcId: undefined },
    key: "existingVpcId",
  },
  {
    what: "existing VPC with one subnet",
    stack: "prod",
    set: { existingPrivateSubnetIds: ["subnet-0a1b2c3d4e5f60001"] },
    key: "existingPrivateSubnetIds",
  },
  {
    what: "malformed subnet id",
    stack: "prod",
    set: { existingPrivateSubnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-x"] },
    key: "existingPrivateSubnetIds[1]",
  },
  {
    what: "http:// OIDC issuer",
    stack: "prod",
    set: { ...PROD_OIDC, oidcIssuer: "http://login.example.com" },
    key: "oidcIssuer",
  },
  {
    what: "OIDC without audiences",
    stack: "prod",
    set: { ...PROD_OIDC, oidcAudiences: [] },
    key: "oidcAudiences",
  },
  {
    what: "Cognito without callback URLs",
    stack: "dev",
    set: { cognitoCallbackUrls: [] },
    key: "cognitoCallbackUrls",
  },
  {
    what: "callback URL that is not https",
    stack: "dev",
    set: { cognitoCallbackUrls: ["ftp://example.com/cb"] },
    key: "cognitoCallbackUrls[0]",
  },
  {
    what: "malformed role ARN of a caller",
    stack: "dev",
    set: { internalCallers: [{ ...caller, principal: { roleArn: "role/points" } }] },
    key: "internalCallers[0].principal.roleArn",
  },
  {
    what: "caller without a granted route",
    stack: "dev",
    set: { internalCallers: [{ ...caller, routes: [] }] },
    key: "internalCallers[0].routes",
  },
  {
    what: "caller granted a route that does not exist",
    stack: "dev",
    set: { internalCallers: [{ ...caller, routes: ["DELETE /loyalty/{customerId}"] }] },
    key: "internalCallers[0].routes[0]",
  },
  {
    what: "caller on an unknown tier",
    stack: "dev",
    set: { usagePlans: [tier], internalCallers: [{ ...caller, usagePlan: "gold" }] },
    key: "internalCallers[0].usagePlan",
  },
  {
    what: "tier with negative rate",
    stack: "dev",
    set: { usagePlans: [{ ...tier, rateLimit: -1 }] },
    key: "usagePlans[0].rateLimit",
  },
  {
    what: "tier with burst below rate",
    stack: "dev",
    set: { usagePlans: [{ ...tier, rateLimit: 50, burstLimit: 10 }] },
    key: "usagePlans[0].burstLimit",
  },
  {
    what: "tier with unknown quota period",
    stack: "dev",
    set: { usagePlans: [{ ...tier, quota: { limit: 10, period: "YEAR" } }] },
    key: "usagePlans[0].quota.period",
  },
  { what: "no usage plan tier", stack: "dev", set: { usagePlans: [] }, key: "usagePlans" },
  {
    what: "stage burst below rate",
    stack: "dev",
    set: { httpApiRateLimit: "500", httpApiBurstLimit: "100" },
    key: "httpApiBurstLimit",
  },
  {
    what: "route throttle for a route that does not exist",
    stack: "dev",
    set: { httpApiRouteThrottles: { "DELETE /bookings": { rateLimit: 1, burstLimit: 1 } } },
    key: "httpApiRouteThrottles",
  },
  {
    what: "CORS origin with a path",
    stack: "dev",
    set: { corsAllowOrigins: ["https://app.example.com/app"] },
    key: "corsAllowOrigins[0]",
  },
  {
    what: "boolean given as yes",
    stack: "dev",
    set: { privateApiDataTrace: "yes" },
    key: "privateApiDataTrace",
  },
  {
    what: "prod with a * CORS origin",
    stack: "prod",
    set: { corsAllowOrigins: ["*"] },
    key: "corsAllowOrigins[0]",
  },
  {
    what: "prod without protection",
    stack: "prod",
    set: { protectResources: "false" },
    key: "protectResources",
  },
  {
    what: "prod with short log retention",
    stack: "prod",
    set: { logRetentionDays: "30" },
    key: "logRetentionDays",
  },
  { what: "prod without WAF", stack: "prod", set: { wafEnabled: "false" }, key: "wafEnabled" },
  {
    what: "prod with introspection on",
    stack: "prod",
    set: { appsyncIntrospection: "true" },
    key: "appsyncIntrospection",
  },
  {
    what: "prod without a query depth limit",
    stack: "prod",
    set: { appsyncQueryDepthLimit: "0" },
    key: "appsyncQueryDepthLimit",
  },
  {
    what: "prod with Cognito MFA optional",
    stack: "prod",
    set: {
      identityProvider: "cognito",
      cognitoDomainPrefix: "airline",
      cognitoCallbackUrls: ["https://app.example.com/cb"],
      cognitoMfa: "OPTIONAL",
    },
    key: "cognitoMfa",
  },
];

describe("stack config", () => {
  it("accepts every checked-in stack", () => {
    assert.ok(stackNames().length >= 2, stackNames().join(", "));
    for (const stack of stackNames()) {
      const config = parsePlatformConfig(stackConfig(stack));
      assert.strictEqual(config.environment, stack);
    }
  });

  describe("rejects bad config before any resource is registered", () => {
    for (const c of badConfigs) {
      it(`${c.what} (${c.key})`, async () => {
        const failure = await runStack(c.stack, c.set).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(failure instanceof ConfigError, `expected a ConfigError, got ${String(failure)}`);
        const problems = failure.problems;
        const qualified = c.key.includes(":") ? c.key : `${PROJECT}:${c.key}`;
        assert.ok(
          problems.some(
            (p) =>
              p.key === qualified ||
              p.key.startsWith(`${qualified}.`) ||
              p.key.startsWith(`${qualified}[`),
          ),
          `expected ${qualified} in:\n${failure.message}`,
        );
        assert.match(failure.message, /found /, "the message says what was found");
        assert.deepStrictEqual(
          registeredBeforeFailure(failure),
          [],
          "no resource may be registered",
        );
      });
    }
  });

  it("reports every problem in one error", () => {
    const raw = stackConfig("prod", {
      logRetentionDays: "30",
      wafEnabled: "false",
      vpcCidrBlock: "nope",
      bogus: "1",
    });
    const err = (() => {
      try {
        parsePlatformConfig(raw);
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError);
    const keys = err.problems.map((p) => p.key);
    for (const key of ["logRetentionDays", "wafEnabled", "vpcCidrBlock", "bogus"]) {
      assert.ok(keys.includes(`${PROJECT}:${key}`), `${key} missing from ${keys.join(", ")}`);
    }
    assert.match(err.message, /^Invalid stack configuration \(4 problems\)/);
  });

  it("declares in Pulumi.yaml the same defaults config.ts applies", () => {
    const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
    const declared = project.config as Record<string, { type: string; default?: unknown }>;
    const given: Record<string, string> = {
      [`${PROJECT}:environment`]: "dev",
      // Production's safeguards need more than defaults; the defaults themselves are compared.
      [`${PROJECT}:posture`]: "development",
      [`${PROJECT}:cognitoDomainPrefix`]: "x-y",
      [`${PROJECT}:cognitoCallbackUrls`]: '["https://a.example.com/cb"]',
      [`${PROJECT}:usagePlans`]: JSON.stringify([tier]),
      [`${PROJECT}:internalCallers`]: JSON.stringify([
        {
          name: "appsync-loyalty-resolver",
          principal: { service: "lambda.amazonaws.com" },
          routes: ["GET /loyalty/{customerId}"],
          usagePlan: "standard",
        },
      ]),
    };
    const parsed = parsePlatformConfig(given) as unknown as Record<string, unknown>;
    for (const [key, decl] of Object.entries(declared)) {
      assert.ok(
        CONFIG_KEYS.includes(key),
        `Pulumi.yaml declares ${key}, which config.ts does not know`,
      );
      if ("default" in decl && !(`${PROJECT}:${key}` in given))
        assert.deepStrictEqual(parsed[key], decl.default, `default of ${key}`);
    }
    // The one key set above: its default is production, which is what a new stack gets.
    assert.strictEqual(declared.posture.default, "production");
  });
});

describe("stack config: identityProviders", () => {
  const saml = {
    type: "SAML",
    name: "Workforce",
    metadataUrl: "https://login.example-airline.com/saml/metadata",
  };
  const google = { type: "Google", clientId: "g.apps", clientSecret: "plain-google-secret" };
  const key = (k: string) => `${PROJECT}:identityProviders${k}`;
  /** Parses dev with these providers, the key marked secret or not; the error, if any. */
  function problemsOf(providers: unknown[], secret: boolean, extra: Record<string, unknown> = {}) {
    try {
      parsePlatformConfig(
        stackConfig("dev", { identityProviders: providers, ...extra }),
        secret ? [key("")] : [],
      );
      return undefined;
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e;
    }
  }

  it("accepts the checked-in stacks' providers, the dev Google secret as a secure: value", () => {
    const { config, secretKeys } = loadStackConfig("dev");
    assert.deepStrictEqual(secretKeys, [key("")]);
    const dev = parsePlatformConfig(config, secretKeys);
    assert.deepStrictEqual(
      dev.identityProviders.map((p) => [p.type, p.name]),
      [["Google", "Google"]],
    );
    const prodStack = loadStackConfig("prod");
    const prod = parsePlatformConfig(prodStack.config, prodStack.secretKeys);
    assert.deepStrictEqual(
      prod.identityProviders.map((p) => [p.type, p.name]),
      [["SAML", "Workforce"]],
    );
  });

  it("reports a plain-text secret, an http:// metadata URL, a duplicate name and an unknown attribute in one error, never showing the secret", () => {
    const err = problemsOf(
      [
        { ...saml, metadataUrl: "http://login.example-airline.com/saml/metadata" },
        { ...saml, attributeMapping: { "custom:tier": "tier" } },
        google,
      ],
      false,
    );
    assert.ok(err);
    assert.deepStrictEqual(err.problems.map((p) => p.key).sort(), [
      key("[0].metadataUrl"),
      key("[1].attributeMapping.custom:tier"),
      key("[1].name"),
      key("[2].clientSecret"),
    ]);
    assert.ok(!err.message.includes("plain-google-secret"), err.message);
    assert.match(err.message, /pulumi config set --secret --path/);
  });

  it("keeps every provider secret of every stack file secure: (the engine marks only the whole key)", () => {
    let checked = 0;
    for (const stack of stackNames()) {
      const file = path.join(__dirname, "..", `Pulumi.${stack}.yaml`);
      const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
      const providers = (doc.config?.[key("")] ?? []) as Record<string, unknown>[];
      providers.forEach((p, i) => {
        for (const field of ["clientSecret", "privateKey"]) {
          if (!(field in p)) continue;
          checked++;
          const value = p[field] as { secure?: unknown };
          assert.strictEqual(typeof value?.secure, "string", `${stack}: [${i}].${field}`);
        }
      });
    }
    assert.ok(checked >= 1, "the dev stack's Google secret is checked");
  });

  it("takes the same secret when the engine marks the key secret", () => {
    assert.strictEqual(problemsOf([saml, google], true), undefined);
  });

  it("never shows a secret in a shape error either", () => {
    const err = problemsOf([{ ...google, colour: "blue" }], true);
    assert.ok(err);
    assert.match(err.message, /identityProviders\[0\]: Unrecognized key: "colour"/);
    assert.ok(!err.message.includes("plain-google-secret"), err.message);
  });

  it("names a social provider after its type, and refuses another name", () => {
    const err = problemsOf([{ ...google, name: "Gmail" }], true);
    assert.ok(err);
    assert.deepStrictEqual(
      err.problems.map((p) => p.key),
      [key("[0].name")],
    );
  });

  it("refuses providers without a user pool, and local users off without providers", () => {
    const oidc = {
      identityProvider: "oidc",
      oidcIssuer: "https://login.example.com",
      oidcAudiences: ["api://x"],
      identityPool: undefined,
    };
    assert.deepStrictEqual(
      problemsOf([saml], true, oidc)?.problems.map((p) => p.key),
      [key("")],
    );
    assert.deepStrictEqual(
      problemsOf([], true, { cognitoLocalUsers: "false" })?.problems.map((p) => p.key),
      [`${PROJECT}:cognitoLocalUsers`],
    );
  });

  it("fails the program on a plain-text secret before any resource is registered", async () => {
    const failure = await runStack("dev", { identityProviders: [google] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failure instanceof ConfigError, String(failure));
    assert.deepStrictEqual(
      failure.problems.map((p) => p.key),
      [key("[0].clientSecret")],
    );
    assert.deepStrictEqual(registeredBeforeFailure(failure), []);
  });
});
