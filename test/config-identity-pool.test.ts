// config.ts: the identityPool key, validated with the IdentityPool component's rules.
import * as assert from "assert";
import { ConfigError, parsePlatformConfig, PROJECT } from "../config";
import { PROD_OIDC, stackConfig } from "./helpers/harness";

const RUM = "arn:aws:rum:eu-west-1:123456789012:appmonitor/sec1-airline-dev";

/** The problems of the dev stack with `identityPool` (and other keys) overridden. */
function problems(identityPool: unknown, extra: Record<string, unknown> = {}) {
  try {
    parsePlatformConfig(stackConfig("dev", { identityPool, ...extra }));
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
}

describe("config: identityPool", () => {
  it("is on in dev (RUM-only guests) and prod (no guests), off when absent", () => {
    const dev = parsePlatformConfig(stackConfig("dev"));
    assert.deepStrictEqual(dev.identityPool.guestRole, {
      actions: ["rum:PutRumEvents"],
      resources: [RUM],
    });
    assert.strictEqual(dev.identityPool.enabled, true);
    const prod = parsePlatformConfig(stackConfig("prod"));
    assert.strictEqual(prod.identityPool.enabled, true);
    assert.strictEqual(prod.identityPool.guestRole, undefined);
    assert.strictEqual(prod.identityPool.documentRetentionDays, 90);
    const off = parsePlatformConfig(stackConfig("dev", { identityPool: undefined }));
    assert.strictEqual(off.identityPool.enabled, false);
    assert.strictEqual(
      parsePlatformConfig(stackConfig("prod", PROD_OIDC)).identityPool.enabled,
      false,
    );
  });

  it("refuses a guest role that could reach an API, a function or a data store, or wildcards, naming each key", () => {
    const found = problems({
      enabled: true,
      guestRole: {
        actions: [
          "rum:PutRumEvents",
          "execute-api:Invoke",
          "lambda:InvokeFunction",
          "dynamodb:GetItem",
          "s3:*",
        ],
        resources: [RUM, "*"],
      },
    });
    assert.deepStrictEqual(
      found.map((p) => p.key),
      [1, 2, 3, 4]
        .map((i) => `${PROJECT}:identityPool.guestRole.actions[${i}]`)
        .concat(`${PROJECT}:identityPool.guestRole.resources[1]`),
    );
    assert.match(found[0].message, /execute-api is refused/);
    assert.match(found[3].message, /wildcard actions are refused/);
  });

  it("refuses group roles with bad grants and an identity pool without a user pool, all at once", () => {
    const found = problems(
      {
        enabled: true,
        groupRoles: [{ group: "crew", actions: ["appsync:GraphQL"], resources: [RUM] }],
      },
      {
        identityProvider: "oidc",
        oidcIssuer: "https://login.example.com",
        oidcAudiences: ["api://x"],
        identityProviders: [],
      },
    );
    assert.deepStrictEqual(
      found.map((p) => p.key),
      [
        `${PROJECT}:identityPool.enabled`,
        `${PROJECT}:identityPool.groupRoles[0].actions[0]`,
        `${PROJECT}:identityPool.groupRoles[0].resources[0]`,
      ],
    );
  });

  it("refuses bad shapes of the key itself, naming the field", () => {
    assert.deepStrictEqual(
      problems({ enabled: true, documentRetentionDays: 0 }).map((p) => p.key),
      [`${PROJECT}:identityPool.documentRetentionDays`],
    );
    assert.deepStrictEqual(
      problems({ enabled: "yes" }).map((p) => p.key),
      [`${PROJECT}:identityPool.enabled`],
    );
    assert.deepStrictEqual(
      problems({ enabled: true, guests: true }).map((p) => p.key),
      [`${PROJECT}:identityPool`],
    );
  });

  it("refuses a * or no CORS origin with the identity pool on (the bucket's CORS rule names origins)", () => {
    for (const origins of [["*"], []])
      assert.deepStrictEqual(
        problems({ enabled: true }, { corsAllowOrigins: origins }).map((p) => p.key),
        [`${PROJECT}:corsAllowOrigins`],
      );
  });
});
