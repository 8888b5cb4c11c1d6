// The Identity component: Cognito user pool (with federated identity providers) or external OIDC issuer.
import * as assert from "assert";
import { API_SCOPES } from "../app/airline/contract";
import { Identity, IdentityArgs, validateIdentityArgs } from "../components/identity";
import {
  attributeMappingOf,
  DEFAULT_ATTRIBUTE_MAPPING,
  IDENTITY_PROVIDER_TYPES,
  IdentityProviderConfig,
  providerDetailsOf,
  validateIdentityProviders,
} from "../components/identity-providers";
import { SIG, SIG_SECRET } from "../tools/wire";
import { one, ofType, ProgramRun, runComponents } from "./helpers/harness";

const USER_POOL = "aws:cognito/userPool:UserPool";
const CLIENT = "aws:cognito/userPoolClient:UserPoolClient";
const RESOURCE_SERVER = "aws:cognito/resourceServer:ResourceServer";
const DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain";
const IDP = "aws:cognito/identityProvider:IdentityProvider";

const SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";

/** One provider of every type, as a stack would declare them (secrets as plain strings here). */
function everyProvider(): IdentityProviderConfig[] {
  return [
    {
      type: "SAML",
      name: "Workforce",
      metadataUrl: "https://login.example-airline.com/saml/metadata",
      idpIdentifiers: ["example-airline.com"],
      attributeMapping: { given_name: "firstName" },
    },
    {
      type: "OIDC",
      name: "Partners",
      issuer: "https://partners.example.com",
      clientId: "partners-client",
      clientSecret: "oidc-client-secret-value",
      attributesRequestMethod: "POST",
    },
    { type: "Google", name: "Google", clientId: "g.apps", clientSecret: "google-secret-value" },
    {
      type: "Facebook",
      name: "Facebook",
      clientId: "1234",
      clientSecret: "facebook-secret-value",
      apiVersion: "v17.0",
    },
    {
      type: "LoginWithAmazon",
      name: "LoginWithAmazon",
      clientId: "amzn1.application-oa2-client.x",
      clientSecret: "amazon-secret-value",
    },
    {
      type: "SignInWithApple",
      name: "SignInWithApple",
      clientId: "com.example.signin",
      teamId: "TEAM123456",
      keyId: "KEY1234567",
      privateKey: "-----BEGIN PRIVATE KEY-----apple-----END PRIVATE KEY-----",
    },
  ];
}

/** The plain values a wire value holds inside secret envelopes, anywhere in it. */
function secretValues(wire: unknown): unknown[] {
  if (wire === null || typeof wire !== "object") return [];
  const obj = wire as Record<string, unknown>;
  if (obj[SIG] === SIG_SECRET) return [obj.value];
  return Object.values(obj).flatMap(secretValues);
}

/** Dev-like Cognito args, as index.ts builds them from Pulumi.dev.yaml. */
function cognitoArgs(overrides: Partial<IdentityArgs> = {}): IdentityArgs {
  return {
    identityProvider: "cognito",
    apiScopes: API_SCOPES,
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
    apiScopes: API_SCOPES,
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
      identityProviderNames: id.identityProviderNames,
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
      assert.strictEqual(server.identifier, "airline");
      const names = (server.scopes as { scopeName: string }[]).map((s) => s.scopeName);
      assert.deepStrictEqual(names, Object.keys(API_SCOPES.scopes));
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

    it("offers only COGNITO on the web client without identity providers", () => {
      assert.deepStrictEqual(one(dev, CLIENT, "-web-client").inputs.supportedIdentityProviders, [
        "COGNITO",
      ]);
      assert.deepStrictEqual(ofType(dev, IDP), []);
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

  describe("federated identity providers", () => {
    let run: ProgramRun;
    before(async () => {
      run = await build(cognitoArgs({ identityProviders: everyProvider(), protect: true }));
    });

    it("creates one IdentityProvider per entry, named and typed as configured, in the pool", () => {
      const idps = ofType(run, IDP);
      assert.deepStrictEqual(
        idps.map((r) => `${r.inputs.providerType} ${r.inputs.providerName}`).sort(),
        everyProvider()
          .map((p) => `${p.type} ${p.name}`)
          .sort(),
      );
      const component = one(run, "sec1:identity:Identity").urn;
      for (const r of idps) {
        assert.strictEqual(r.inputs.userPoolId, one(run, USER_POOL).id, r.name);
        assert.strictEqual(r.parent, component, r.name);
        assert.match(r.name, /^identity-idp-[a-z0-9.-]+$/);
        // Deleting a provider locks its users out: protected with the pool.
        assert.strictEqual(r.options.protect, true, r.name);
      }
      assert.deepStrictEqual(
        run.outputs.identityProviderNames,
        everyProvider().map((p) => p.name),
      );
    });

    it("offers every provider and the pool's own users on the web client, only COGNITO on the machine client", () => {
      const web = one(run, CLIENT, "-web-client");
      assert.deepStrictEqual(web.inputs.supportedIdentityProviders, [
        "COGNITO",
        ...everyProvider().map((p) => p.name),
      ]);
      // Cognito refuses a client naming a provider the pool does not have yet.
      const deps = web.propertyDependencies.supportedIdentityProviders ?? [];
      for (const idp of ofType(run, IDP)) assert.ok(deps.includes(idp.urn), idp.name);
      assert.deepStrictEqual(
        one(run, CLIENT, "-machine-client").inputs.supportedIdentityProviders,
        ["COGNITO"],
      );
    });

    it("gives each type the details Cognito expects", () => {
      const details = (name: string) =>
        one(run, IDP, `-idp-${name}`).inputs.providerDetails as Record<string, unknown>;
      assert.deepStrictEqual(details("workforce"), {
        MetadataURL: "https://login.example-airline.com/saml/metadata",
        IDPInit: "false",
        IDPSignout: "false",
        EncryptedResponses: "true",
        RequestSigningAlgorithm: "rsa-sha256",
      });
      assert.deepStrictEqual(details("partners"), {
        client_id: "partners-client",
        client_secret: "[secret]",
        oidc_issuer: "https://partners.example.com",
        authorize_scopes: "openid email profile",
        attributes_request_method: "POST",
      });
      assert.deepStrictEqual(details("google"), {
        client_id: "g.apps",
        client_secret: "[secret]",
        authorize_scopes: "openid email profile",
      });
      assert.deepStrictEqual(details("facebook"), {
        client_id: "1234",
        client_secret: "[secret]",
        authorize_scopes: "public_profile,email",
        api_version: "v17.0",
      });
      assert.deepStrictEqual(details("loginwithamazon"), {
        client_id: "amzn1.application-oa2-client.x",
        client_secret: "[secret]",
        authorize_scopes: "profile",
      });
      assert.deepStrictEqual(details("signinwithapple"), {
        client_id: "com.example.signin",
        team_id: "TEAM123456",
        key_id: "KEY1234567",
        private_key: "[secret]",
        authorize_scopes: "email name",
      });
    });

    it("sends every client secret and the Apple key as secrets, and nothing else as one", () => {
      const sent = ofType(run, IDP).flatMap((r) => secretValues(r.wireInputs));
      assert.deepStrictEqual(sent.sort(), [
        "-----BEGIN PRIVATE KEY-----apple-----END PRIVATE KEY-----",
        "amazon-secret-value",
        "facebook-secret-value",
        "google-secret-value",
        "oidc-client-secret-value",
      ]);
    });

    it("maps email, and email_verified only from an IdP's own claim; Facebook and Amazon leave it unverified", () => {
      const mapping = (name: string) =>
        one(run, IDP, `-idp-${name}`).inputs.attributeMapping as Record<string, string>;
      assert.deepStrictEqual(mapping("workforce"), { email: SAML_EMAIL, given_name: "firstName" });
      for (const name of ["partners", "google", "signinwithapple"]) {
        assert.strictEqual(mapping(name).email_verified, "email_verified", name);
      }
      for (const name of ["facebook", "loginwithamazon"]) {
        assert.strictEqual(mapping(name).email, "email", name);
        assert.strictEqual(mapping(name).email_verified, undefined, name);
      }
    });

    it("never maps an IdP's groups by default, into cognito:groups or anything else", () => {
      for (const type of IDENTITY_PROVIDER_TYPES) {
        const mapping = DEFAULT_ATTRIBUTE_MAPPING[type];
        assert.ok(!Object.keys(mapping).some((k) => /group/i.test(k)), type);
        assert.ok(!Object.values(mapping).some((v) => /group|role/i.test(v)), type);
      }
      for (const r of ofType(run, IDP)) {
        assert.ok(!JSON.stringify(r.inputs.attributeMapping).includes("group"), r.name);
      }
    });

    it("ignores only the encryption certificate Cognito adds to a SAML provider's details", () => {
      for (const r of ofType(run, IDP)) {
        const saml = r.inputs.providerType === "SAML";
        assert.deepStrictEqual(
          r.options.ignoreChanges,
          saml ? ["providerDetails.ActiveEncryptionCertificate"] : [],
          r.name,
        );
      }
    });

    it("passes idpIdentifiers through", () => {
      assert.deepStrictEqual(one(run, IDP, "-idp-workforce").inputs.idpIdentifiers, [
        "example-airline.com",
      ]);
    });

    it("drops COGNITO from the web client when local users are off", async () => {
      const federatedOnly = await build(
        cognitoArgs({ identityProviders: everyProvider().slice(0, 1), localUsers: false }),
      );
      assert.deepStrictEqual(
        one(federatedOnly, CLIENT, "-web-client").inputs.supportedIdentityProviders,
        ["Workforce"],
      );
    });
  });

  describe("SAML details", () => {
    const saml = everyProvider()[0] as Extract<IdentityProviderConfig, { type: "SAML" }>;
    it("accepts IdP-initiated sign-in, unsigned requests and clear responses only when configured", () => {
      assert.deepStrictEqual(
        providerDetailsOf({
          ...saml,
          metadataUrl: undefined,
          metadataFile: "<EntityDescriptor/>",
          idpInitiated: true,
          idpSignout: true,
          signRequests: false,
          encryptedResponses: false,
        }),
        {
          MetadataFile: "<EntityDescriptor/>",
          IDPInit: "true",
          IDPSignout: "true",
          EncryptedResponses: "false",
        },
      );
    });

    it("lets config override a default mapping", () => {
      assert.deepStrictEqual(attributeMappingOf({ ...saml, attributeMapping: { email: "mail" } }), {
        email: "mail",
      });
    });
  });

  describe("validateIdentityProviders", () => {
    it("accepts one provider of every type", () => {
      assert.deepStrictEqual(validateIdentityProviders(everyProvider()), []);
    });

    /** Each case: a broken list and the paths its problems must name, exactly. */
    const cases: { what: string; list: () => IdentityProviderConfig[]; paths: string[] }[] = [
      {
        what: "an http:// metadata URL",
        list: () => [{ ...everyProvider()[0], metadataUrl: "http://idp.example.com/md" } as never],
        paths: ["0.metadataUrl"],
      },
      {
        what: "both metadata URL and document",
        list: () => [{ ...everyProvider()[0], metadataFile: "<EntityDescriptor/>" } as never],
        paths: ["0.metadataUrl"],
      },
      {
        what: "an http:// issuer and a partial set of endpoints",
        list: () => [
          {
            ...everyProvider()[1],
            issuer: "http://partners.example.com",
            tokenUrl: "https://partners.example.com/token",
          } as never,
        ],
        paths: ["0.issuer", "0.authorizeUrl", "0.attributesUrl", "0.jwksUri"],
      },
      {
        what: "OIDC scopes without openid",
        list: () => [{ ...everyProvider()[1], scopes: ["email"] } as never],
        paths: ["0.scopes"],
      },
      {
        what: "a duplicate name",
        list: () => [everyProvider()[2], everyProvider()[2]],
        paths: ["1.name"],
      },
      {
        what: "a social provider named otherwise",
        list: () => [{ ...everyProvider()[2], name: "MyGoogle" }],
        paths: ["0.name"],
      },
      {
        what: "a reserved or malformed name",
        list: () => [
          { ...everyProvider()[0], name: "COGNITO" },
          { ...everyProvider()[1], name: "_x" },
        ],
        paths: ["0.name", "1.name"],
      },
      {
        what: "missing credentials",
        list: () => [
          { ...everyProvider()[2], clientSecret: "" },
          { ...everyProvider()[5], keyId: undefined } as never,
        ],
        paths: ["0.clientSecret", "1.keyId"],
      },
      {
        what: "a mapping to an unknown attribute",
        list: () => [{ ...everyProvider()[0], attributeMapping: { "custom:tier": "tier" } }],
        paths: ["0.attributeMapping.custom:tier"],
      },
      {
        what: "IdP groups mapped into cognito:groups",
        list: () => [{ ...everyProvider()[0], attributeMapping: { "cognito:groups": "groups" } }],
        paths: ["0.attributeMapping.cognito:groups"],
      },
      {
        what: "email_verified from an IdP that does not assert it",
        list: () => [
          { ...everyProvider()[3], attributeMapping: { email_verified: "verified" } },
          { ...everyProvider()[4], attributeMapping: { email_verified: "email_verified" } },
        ],
        paths: ["0.attributeMapping.email_verified", "1.attributeMapping.email_verified"],
      },
      {
        what: "email_verified from another claim than the IdP's own",
        list: () => [{ ...everyProvider()[2], attributeMapping: { email_verified: "email" } }],
        paths: ["0.attributeMapping.email_verified"],
      },
      {
        what: "an identifier routing to two providers",
        list: () => [
          everyProvider()[0],
          { ...everyProvider()[1], idpIdentifiers: ["example-airline.com"] },
        ],
        paths: ["1.idpIdentifiers.0"],
      },
    ];
    for (const c of cases) {
      it(`reports ${c.what}`, () => {
        const problems = validateIdentityProviders(c.list());
        assert.deepStrictEqual(
          problems.map((p) => p.path.join(".")),
          c.paths,
          JSON.stringify(problems),
        );
      });
    }

    it("lets a SAML IdP map email_verified explicitly: the operator says it asserts it", () => {
      assert.deepStrictEqual(
        validateIdentityProviders([
          { ...everyProvider()[0], attributeMapping: { email_verified: "emailVerified" } },
        ]),
        [],
      );
    });

    it("fails the component with every provider problem, each under its key", async () => {
      const err = await build(
        cognitoArgs({
          identityProviders: [
            { ...everyProvider()[0], metadataUrl: "http://idp.example.com/md" } as never,
            { ...everyProvider()[2], name: "Gmail" },
          ],
        }),
      ).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(err);
      assert.match(err.message, /identityProviders\[0\]\.metadataUrl: expected an https/);
      assert.match(err.message, /identityProviders\[1\]\.name: a Google provider must be named/);
    });

    it("refuses providers with an external OIDC issuer, and local users off without providers", () => {
      assert.match(
        validateIdentityArgs(oidcArgs({ identityProviders: everyProvider() })).join("\n"),
        /identityProviders need identityProvider cognito/,
      );
      assert.match(
        validateIdentityArgs(cognitoArgs({ localUsers: false })).join("\n"),
        /localUsers false needs at least one of identityProviders/,
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

    it("reports every bad scope at once: the server id, a scope name, a client's unknown scope", () => {
      const problems = validateIdentityArgs(
        cognitoArgs({
          apiScopes: {
            resourceServer: "my api",
            scopes: { "orders.read": "Read orders", "orders/write": "Write orders" },
            webClient: ["orders.read"],
            machineClient: ["orders.delete"],
          },
        }),
      );
      assert.deepStrictEqual(problems, [
        "apiScopes.resourceServer: expected an identifier without spaces, found 'my api'",
        "apiScopes.scopes: 'orders/write' is not a valid scope name (no spaces, quotes or slashes)",
        "apiScopes.machineClient: 'orders.delete' is not one of apiScopes.scopes (orders.read, orders/write)",
      ]);
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
