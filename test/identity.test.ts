// The Identity component: Cognito user pool or external OIDC issuer.
import * as assert from "assert";
import {
  API_SCOPES,
  Identity,
  IdentityArgs,
  RESOURCE_SERVER_IDENTIFIER,
  validateIdentityArgs,
} from "../components/identity";
import { one, ofType, ProgramRun, runComponents } from "./helpers/harness";

const USER_POOL = "aws:cognito/userPool:UserPool";
const CLIENT = "aws:cognito/userPoolClient:UserPoolClient";
const RESOURCE_SERVER = "aws:cognito/resourceServer:ResourceServer";
const DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain";

/** Dev-like Cognito args, as index.ts builds them from Pulumi.dev.yaml. */
function cognitoArgs(overrides: Partial<IdentityArgs> = {}): IdentityArgs {
  return {
    identityProvider: "cognito",
    cognitoDomainPrefix: "sec1-airline-dev",
    cognitoCallbackUrls: ["https://dev.app.example.com/callback", "http://localhost:5173/callback"],
    cognitoLogoutUrls: ["https://dev.app.example.com/"],
    cognitoMfa: "OPTIONAL",
    protect: false,
    tags: { team: "platform" },
    ...overrides,
  };
}

/** Prod-like OIDC args, as index.ts builds them from Pulumi.prod.yaml. */
function oidcArgs(overrides: Partial<IdentityArgs> = {}): IdentityArgs {
  return {
    identityProvider: "oidc",
    oidcIssuer: "https://login.example-airline.com/oauth2/default",
    oidcAudiences: ["api://bookings"],
    protect: true,
    tags: { team: "platform" },
    ...overrides,
  };
}

function build(args: IdentityArgs): Promise<ProgramRun> {
  return runComponents(() => {
    const id = new Identity("identity", args);
    return {
      issuerUrl: id.issuerUrl,
      audiences: id.audiences,
      jwksUri: id.jwksUri,
      scopes: id.scopes,
      region: id.region,
      userPoolId: id.userPoolId,
      userPoolArn: id.userPoolArn,
      webClientId: id.webClientId,
      machineClientId: id.machineClientId,
      machineClientSecret: id.machineClientSecret,
    };
  });
}

describe("components/identity", () => {
  describe("Cognito", () => {
    let dev: ProgramRun;
    before(async () => {
      dev = await build(cognitoArgs());
    });

    it("uses email as the username, case-insensitively, verified by Cognito", () => {
      const pool = one(dev, USER_POOL).inputs;
      assert.deepStrictEqual(pool.usernameAttributes, ["email"]);
      assert.deepStrictEqual(pool.autoVerifiedAttributes, ["email"]);
      assert.deepStrictEqual(pool.usernameConfiguration, { caseSensitive: false });
    });

    it("requires a strong password (14+ characters of all four classes)", () => {
      const policy = one(dev, USER_POOL).inputs.passwordPolicy as Record<string, unknown>;
      assert.ok((policy.minimumLength as number) >= 14);
      for (const k of [
        "requireLowercase",
        "requireUppercase",
        "requireNumbers",
        "requireSymbols",
      ]) {
        assert.strictEqual(policy[k], true, k);
      }
    });

    it("offers TOTP MFA, optional in dev", () => {
      const pool = one(dev, USER_POOL).inputs;
      assert.strictEqual(pool.mfaConfiguration, "OPTIONAL");
      assert.deepStrictEqual(pool.softwareTokenMfaConfiguration, { enabled: true });
    });

    it("requires MFA, deletion protection, protect and threat protection in prod", async () => {
      const prod = await build(cognitoArgs({ cognitoMfa: "ON", protect: true }));
      const pool = one(prod, USER_POOL);
      assert.strictEqual(pool.inputs.mfaConfiguration, "ON");
      assert.strictEqual(pool.inputs.deletionProtection, "ACTIVE");
      assert.strictEqual(pool.options.protect, true);
      assert.strictEqual(pool.inputs.userPoolTier, "PLUS");
      assert.deepStrictEqual(pool.inputs.userPoolAddOns, { advancedSecurityMode: "ENFORCED" });
      // A replaced client gets a new id (every app and API audience) and a new secret.
      for (const type of [CLIENT, RESOURCE_SERVER, DOMAIN]) {
        assert.ok(ofType(prod, type).length > 0, type);
        for (const r of ofType(prod, type)) assert.strictEqual(r.options.protect, true, r.name);
      }
    });

    it("leaves a dev pool deletable and unprotected", () => {
      const pool = one(dev, USER_POOL);
      assert.strictEqual(pool.inputs.deletionProtection, "INACTIVE");
      assert.strictEqual(pool.options.protect, false);
      assert.strictEqual(pool.inputs.userPoolAddOns, undefined);
      for (const type of [CLIENT, RESOURCE_SERVER, DOMAIN]) {
        assert.ok(ofType(dev, type).length > 0, type);
        for (const r of ofType(dev, type)) assert.strictEqual(r.options.protect, false, r.name);
      }
    });

    it("issues tokens as https://cognito-idp.<region>.amazonaws.com/<poolId>", () => {
      const poolId = one(dev, USER_POOL).id;
      assert.match(String(poolId), /^eu-west-1_/);
      assert.strictEqual(
        dev.outputs.issuerUrl,
        `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`,
      );
      assert.strictEqual(dev.outputs.jwksUri, `${dev.outputs.issuerUrl}/.well-known/jwks.json`);
      assert.strictEqual(dev.outputs.userPoolId, poolId);
      assert.strictEqual(dev.outputs.region, "eu-west-1");
    });

    it("exposes the app client ids as the audiences", () => {
      const ids = ofType(dev, CLIENT).map((c) => c.id);
      assert.strictEqual(ids.length, 2);
      assert.deepStrictEqual([...(dev.outputs.audiences as string[])].sort(), [...ids].sort());
      assert.strictEqual(dev.outputs.webClientId, one(dev, CLIENT, "-web-client").id);
    });

    it("defines every API scope on the resource server and exposes the token scope strings", () => {
      const server = one(dev, RESOURCE_SERVER).inputs;
      assert.strictEqual(server.identifier, RESOURCE_SERVER_IDENTIFIER);
      const names = (server.scopes as { scopeName: string }[]).map((s) => s.scopeName);
      assert.deepStrictEqual(names, Object.keys(API_SCOPES));
      assert.deepStrictEqual(dev.outputs.scopes, {
        "bookings.read": "airline/bookings.read",
        "bookings.write": "airline/bookings.write",
        "loyalty.read": "airline/loyalty.read",
      });
    });

    it("gives the web client the code flow without a secret, the booking scopes and the configured URLs", () => {
      const web = one(dev, CLIENT, "-web-client").inputs;
      assert.strictEqual(web.generateSecret, false);
      assert.deepStrictEqual(web.allowedOauthFlows, ["code"]);
      assert.strictEqual(web.allowedOauthFlowsUserPoolClient, true);
      assert.deepStrictEqual(web.allowedOauthScopes, [
        "openid",
        "email",
        "airline/bookings.read",
        "airline/bookings.write",
      ]);
      assert.deepStrictEqual(web.callbackUrls, cognitoArgs().cognitoCallbackUrls);
      assert.deepStrictEqual(web.logoutUrls, cognitoArgs().cognitoLogoutUrls);
      assert.strictEqual(web.preventUserExistenceErrors, "ENABLED");
      assert.ok(!(web.explicitAuthFlows as string[]).includes("ALLOW_USER_PASSWORD_AUTH"));
      assert.strictEqual(web.accessTokenValidity, 60);
      assert.deepStrictEqual(web.tokenValidityUnits, {
        accessToken: "minutes",
        idToken: "minutes",
        refreshToken: "days",
      });
    });

    it("limits the machine client to client credentials with a secret and loyalty.read only", () => {
      const machine = one(dev, CLIENT, "-machine-client").inputs;
      assert.strictEqual(machine.generateSecret, true);
      assert.deepStrictEqual(machine.allowedOauthFlows, ["client_credentials"]);
      assert.deepStrictEqual(machine.allowedOauthScopes, ["airline/loyalty.read"]);
      assert.strictEqual(machine.preventUserExistenceErrors, "ENABLED");
      assert.ok(dev.secretOutputs.includes("machineClientSecret"));
      assert.strictEqual(dev.outputs.machineClientSecret, "[secret]");
      // Secret in the state too, not only in this output.
      assert.ok(
        one(dev, CLIENT, "-machine-client").options.additionalSecretOutputs.includes(
          "clientSecret",
        ),
      );
    });

    it("creates each client after the resource server that defines its scopes", () => {
      const server = one(dev, RESOURCE_SERVER).urn;
      for (const client of ofType(dev, CLIENT)) {
        assert.ok(
          (client.propertyDependencies.allowedOauthScopes ?? []).includes(server),
          `${client.name} must depend on the resource server`,
        );
      }
    });

    it("creates the hosted-UI domain with the configured prefix", () => {
      const domain = one(dev, DOMAIN).inputs;
      assert.strictEqual(domain.domain, "sec1-airline-dev");
      assert.strictEqual(domain.userPoolId, one(dev, USER_POOL).id);
    });

    it("replaces the domain delete-first: its prefix is unique in the region", () => {
      assert.strictEqual(one(dev, DOMAIN).options.deleteBeforeReplace, true);
    });

    it("parents every child to the component and tags the user pool", () => {
      const component = one(dev, "sec1:identity:Identity");
      for (const r of dev.resources.filter((r) => r.custom)) {
        assert.strictEqual(r.parent, component.urn, r.name);
        assert.ok(r.name.startsWith("identity-"), r.name);
      }
      assert.deepStrictEqual(one(dev, USER_POOL).inputs.tags, { team: "platform" });
    });
  });

  describe("external OIDC", () => {
    it("creates no Cognito resources and exposes the configured issuer and audiences", async () => {
      const run = await build(oidcArgs());
      assert.deepStrictEqual(
        run.resources.filter((r) => r.custom).map((r) => r.type),
        [],
      );
      assert.strictEqual(run.outputs.issuerUrl, "https://login.example-airline.com/oauth2/default");
      assert.deepStrictEqual(run.outputs.audiences, ["api://bookings"]);
      assert.strictEqual(
        run.outputs.jwksUri,
        "https://login.example-airline.com/oauth2/default/.well-known/jwks.json",
      );
      assert.deepStrictEqual(run.outputs.scopes, {
        "bookings.read": "bookings.read",
        "bookings.write": "bookings.write",
        "loyalty.read": "loyalty.read",
      });
      assert.strictEqual(run.outputs.userPoolId, undefined);
    });

    it("uses the configured JWKS URI when given", async () => {
      const run = await build(
        oidcArgs({ oidcJwksUri: "https://login.example-airline.com/oauth2/default/v1/keys" }),
      );
      assert.strictEqual(
        run.outputs.jwksUri,
        "https://login.example-airline.com/oauth2/default/v1/keys",
      );
    });
  });

  describe("validateIdentityArgs", () => {
    it("accepts the happy-path args of both providers", () => {
      assert.deepStrictEqual(validateIdentityArgs(cognitoArgs()), []);
      assert.deepStrictEqual(validateIdentityArgs(oidcArgs()), []);
    });

    it("reports every missing Cognito field at once", () => {
      const problems = validateIdentityArgs(
        cognitoArgs({ cognitoDomainPrefix: undefined, cognitoCallbackUrls: [] }),
      );
      assert.strictEqual(problems.length, 2);
      assert.match(problems[0], /^cognitoDomainPrefix is required/);
      assert.match(problems[1], /^cognitoCallbackUrls needs at least one URL/);
    });

    it("refuses a domain prefix with a word Cognito reserves", () => {
      const problems = validateIdentityArgs(
        cognitoArgs({ cognitoDomainPrefix: "my-cognito-login" }),
      );
      assert.deepStrictEqual(problems.length, 1);
      assert.match(problems[0], /cognitoDomainPrefix 'my-cognito-login' must not contain cognito/);
    });

    it("reports every bad OIDC field at once", () => {
      const problems = validateIdentityArgs(
        oidcArgs({ oidcIssuer: "http://login.example.com", oidcAudiences: [] }),
      );
      assert.strictEqual(problems.length, 2);
      assert.match(problems[0], /^oidcIssuer must be an https:\/\/ URL/);
      assert.match(problems[1], /^oidcAudiences needs at least one audience/);
    });

    it("fails the component with the problem when args are invalid", async () => {
      await assert.rejects(
        build(oidcArgs({ oidcIssuer: undefined })),
        /oidcIssuer is required when identityProvider is oidc/,
      );
    });
  });
});
