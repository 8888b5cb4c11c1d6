import * as assert from "node:assert";
import { ResourceValidation } from "@pulumi/policy";
import {
  identityProviderHttps,
  policies,
  samlProviderHardening,
} from "../policies/identity-providers";
import {
  assertOne,
  assertSilent,
  messagesOf,
  PolicyRun,
  resourceArgs,
  runResourcePolicy,
  UNKNOWN,
} from "./helpers/run-policy";

const IDP = "aws:cognito/identityProvider:IdentityProvider";

/** The SAML provider the program makes for prod: https metadata, hardened. */
function saml(details: Record<string, unknown> = {}, props: Record<string, unknown> = {}) {
  return {
    type: IDP,
    name: "identity-idp-workforce",
    props: {
      userPoolId: "eu-west-1_AbCdEf123",
      providerName: "Workforce",
      providerType: "SAML",
      providerDetails: {
        MetadataURL: "https://login.example-airline.com/saml/metadata",
        IDPInit: "false",
        IDPSignout: "false",
        EncryptedResponses: "true",
        RequestSigningAlgorithm: "rsa-sha256",
        ...details,
      },
      ...props,
    },
  };
}

function oidc(details: Record<string, unknown> = {}) {
  return {
    type: IDP,
    name: "identity-idp-partners",
    props: {
      userPoolId: "eu-west-1_AbCdEf123",
      providerName: "Partners",
      providerType: "OIDC",
      providerDetails: {
        client_id: "partners",
        client_secret: "secret",
        oidc_issuer: "https://partners.example.com",
        authorize_scopes: "openid email",
        attributes_request_method: "GET",
        ...details,
      },
    },
  };
}

describe("federation policies: the set", () => {
  it("reports https as mandatory (reach) and SAML hardening as advisory", () => {
    assert.deepStrictEqual(
      policies.map((p) => [p.name, p.enforcementLevel]),
      [
        ["sec1-a-identity-provider-https", "mandatory"],
        ["sec1-a-saml-provider-hardening", "advisory"],
      ],
    );
    for (const p of policies) {
      assert.strictEqual(p.framework?.name, "AWS Well-Architected Serverless Lens", p.name);
      assert.ok(p.tags?.includes("SEC1") && p.url?.startsWith("https://docs.aws.amazon.com/"));
    }
  });
});

describe("sec1-a-identity-provider-https", () => {
  it("accepts https SAML metadata and an https OIDC issuer", async () => {
    assertSilent(await runResourcePolicy(identityProviderHttps, saml()));
    assertSilent(await runResourcePolicy(identityProviderHttps, oidc()));
  });

  it("Noncompliance 1: SAML metadata over http", async () => {
    assertOne(
      await runResourcePolicy(
        identityProviderHttps,
        saml({ MetadataURL: "http://login.example-airline.com/saml/metadata" }),
      ),
      /^Cognito IdentityProvider 'identity-idp-workforce' must fetch MetadataURL over https; set providerDetails\.MetadataURL to an https:\/\/ URL/,
    );
  });

  it("Noncompliance 2: an http OIDC issuer and an http JWKS, each reported", async () => {
    const run = await runResourcePolicy(
      identityProviderHttps,
      oidc({ oidc_issuer: "http://partners.example.com", jwks_uri: "HTTP://partners/keys" }),
    );
    assert.deepStrictEqual(
      messagesOf(run).map((m) => /fetch (\S+) over/.exec(m)?.[1]),
      ["oidc_issuer", "jwks_uri"],
    );
  });

  it("Compliance 1: a SAML metadata document fetches nothing", async () => {
    assertSilent(
      await runResourcePolicy(
        identityProviderHttps,
        saml({ MetadataURL: undefined, MetadataFile: "<EntityDescriptor/>" }),
      ),
    );
  });

  it("Compliance 2: social providers have no endpoints to judge", async () => {
    const google = oidc({ oidc_issuer: undefined });
    google.props.providerType = "Google";
    assertSilent(await runResourcePolicy(identityProviderHttps, google));
  });

  it("stays silent on unknown values, and lets config exempt a provider", async () => {
    for (const r of [
      saml({ MetadataURL: UNKNOWN }),
      saml({}, { providerDetails: UNKNOWN }),
      saml({ MetadataURL: "http://x" }, { providerType: UNKNOWN }),
    ])
      assertSilent(await runResourcePolicy(identityProviderHttps, r));
    assertSilent(
      await runResourcePolicy(identityProviderHttps, saml({ MetadataURL: "http://x" }), {
        exemptResources: ["identity-idp-*"],
      }),
    );
  });

  it("judges a direct call with plain props, as a custom runner would make it", () => {
    const violations: string[] = [];
    const args = resourceArgs(saml({ MetadataURL: "http://x/md" }));
    const validate = identityProviderHttps.validateResource as ResourceValidation;
    void validate({ ...args, props: saml({ MetadataURL: "http://x/md" }).props }, (message) =>
      violations.push(message),
    );
    assert.strictEqual(violations.length, 1);
    assert.match(violations[0], /not http:\/\/x\/md/);
  });
});

describe("sec1-a-saml-provider-hardening", () => {
  const verdict = (r: ReturnType<typeof saml>, config = {}): Promise<PolicyRun> =>
    runResourcePolicy(samlProviderHardening, r, config);

  it("accepts SP-initiated sign-in with signed requests and encrypted assertions", async () => {
    assertSilent(await verdict(saml()));
  });

  it("Noncompliance 1: IdP-initiated sign-in (string or boolean true)", async () => {
    for (const on of ["true", "TRUE", true])
      assertOne(
        await verdict(saml({ IDPInit: on })),
        /must not accept IdP-initiated SAML sign-in; set providerDetails\.IDPInit to "false"\./,
      );
  });

  it("Noncompliance 2: unsigned requests and clear assertions, each reported", async () => {
    const run = await verdict(
      saml({ RequestSigningAlgorithm: undefined, EncryptedResponses: "false" }),
    );
    assert.strictEqual(run.violations.length, 2);
    assert.match(messagesOf(run)[0], /must sign its SAML requests/);
    assert.match(messagesOf(run)[1], /must take encrypted SAML assertions only/);
  });

  it("Compliance 1: what config allows is not reported", async () => {
    assertSilent(
      await verdict(
        saml({
          IDPInit: "true",
          RequestSigningAlgorithm: undefined,
          EncryptedResponses: undefined,
        }),
        { allowIdpInitiated: true, requireSignedRequests: false, requireEncryptedResponses: false },
      ),
    );
  });

  it("Compliance 2: OIDC and social providers are not SAML", async () => {
    assertSilent(await verdict(oidc() as never));
  });

  it("stays silent on unknown details", async () => {
    assertSilent(
      await verdict(
        saml({ IDPInit: UNKNOWN, RequestSigningAlgorithm: UNKNOWN, EncryptedResponses: UNKNOWN }),
      ),
    );
    assertSilent(await verdict(saml({}, { providerDetails: UNKNOWN })));
  });
});
