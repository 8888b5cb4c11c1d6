/**
 * SEC1 practice A, federation: the identity providers a Cognito user pool trusts. Whoever can
 * alter what Cognito reads from an IdP (its metadata, issuer or keys) can sign in as anyone, so
 * those endpoints must be https (mandatory). How a SAML provider signs in (IdP-initiated
 * responses, unsigned requests, clear assertions) is hardening that does not change who may sign
 * in: advisory by default.
 */
import * as aws from "@pulumi/aws";
import { Policies, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import { configSchema, exemptResourcesProperty, readConfig } from "../lib/policy-config";
import { matchesAnyGlob, rawProps } from "../lib/stack-refs";
import { asRecord, isUnknownValue, knownString, nameOf } from "../lib/values";

const DOCS = {
  saml: "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-saml-idp.html",
  oidc: "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-oidc-idp.html",
  samlHardening:
    "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-SAML-signing-encryption.html",
};

/** The provider details that name where Cognito fetches an IdP's metadata, keys or claims. */
const ENDPOINT_DETAILS: Record<string, readonly string[]> = {
  SAML: ["MetadataURL"],
  OIDC: ["oidc_issuer", "authorize_url", "token_url", "attributes_url", "jwks_uri"],
};

/** The provider's type and details when both are known; undefined to stay silent. */
function providerOf(
  props: unknown,
): { type: string; details: Record<string, unknown> } | undefined {
  const raw = rawProps(props);
  const type = knownString(raw.providerType);
  const details = asRecord(raw.providerDetails);
  return type && details ? { type: type.toUpperCase(), details } : undefined;
}

/** Config of sec1-a-identity-provider-https. */
export interface IdentityProviderHttpsArgs {
  /** Logical names of providers left alone (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const httpsSchema = configSchema({
  exemptResources: exemptResourcesProperty("identity providers left alone"),
});

/** A federated IdP's metadata, issuer and endpoints are fetched over https only. */
export const identityProviderHttps: ResourceValidationPolicy = {
  name: "sec1-a-identity-provider-https",
  description:
    "A Cognito user pool's SAML and OIDC identity providers must publish their metadata, issuer and endpoints over https: whoever can alter them in transit can swap the IdP's signing keys and sign in as any user the APIs trust.",
  enforcementLevel: "mandatory",
  configSchema: httpsSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Set providerDetails.MetadataURL (SAML) and providerDetails.oidc_issuer, authorize_url, token_url, attributes_url and jwks_uri (OIDC) to https:// URLs, or give a SAML provider its metadata document (MetadataFile).",
    DOCS.saml,
    ["cognito", "federation"],
  ),
  validateResource: validateResourceOfType(aws.cognito.IdentityProvider, (idp, args, report) => {
    const provider = providerOf(idp);
    if (!provider) return;
    const name = nameOf(args);
    if (
      matchesAnyGlob(name, readConfig<IdentityProviderHttpsArgs>(args, httpsSchema).exemptResources)
    )
      return;
    for (const key of ENDPOINT_DETAILS[provider.type] ?? []) {
      const url = knownString(provider.details[key]);
      if (url === undefined || /^https:\/\/[^/\s]/i.test(url.trim())) continue;
      report(
        `Cognito IdentityProvider '${name}' must fetch ${key} over https; set providerDetails.${key} to an https:// URL (not ${url}).`,
      );
    }
  }),
};

/** Config of sec1-a-saml-provider-hardening. */
export interface SamlProviderHardeningArgs {
  /** Accept IdP-initiated (unsolicited) SAML responses. Default: false. */
  allowIdpInitiated: boolean;
  /** Require signed authentication requests (RequestSigningAlgorithm). Default: true. */
  requireSignedRequests: boolean;
  /** Require encrypted assertions (EncryptedResponses). Default: true. */
  requireEncryptedResponses: boolean;
  /** Logical names of providers left alone (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const hardeningSchema = configSchema({
  allowIdpInitiated: {
    type: "boolean",
    default: false,
    description: "Accept IdP-initiated (unsolicited) SAML responses.",
  },
  requireSignedRequests: {
    type: "boolean",
    default: true,
    description: "Require Cognito to sign its SAML authentication requests.",
  },
  requireEncryptedResponses: {
    type: "boolean",
    default: true,
    description: "Require the IdP to encrypt its assertions to Cognito.",
  },
  exemptResources: exemptResourcesProperty("SAML providers left alone"),
});

/** A detail that reads as true: Cognito takes "true"/"false" strings; a boolean is accepted too. */
function isTrue(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return false;
  if (isUnknownValue(value)) return undefined;
  return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}

/** SAML sign-in hardening: SP-initiated only, signed requests, encrypted assertions. */
export const samlProviderHardening: ResourceValidationPolicy = {
  name: "sec1-a-saml-provider-hardening",
  description:
    "SAML identity providers should accept only sign-ins Cognito asked for, sign its requests and receive encrypted assertions: unsolicited responses open login CSRF and replay, clear assertions expose user attributes in the browser. None of these changes who may sign in, so the policy is advisory by default.",
  enforcementLevel: "advisory",
  configSchema: hardeningSchema,
  ...sec1Metadata(
    "A",
    "medium",
    'Set providerDetails.IDPInit to "false", RequestSigningAlgorithm to "rsa-sha256" and EncryptedResponses to "true", and give the IdP the user pool\'s signing and encryption certificates.',
    DOCS.samlHardening,
    ["cognito", "federation", "saml"],
  ),
  validateResource: validateResourceOfType(aws.cognito.IdentityProvider, (idp, args, report) => {
    const provider = providerOf(idp);
    if (!provider || provider.type !== "SAML") return;
    const name = nameOf(args);
    const config = readConfig<SamlProviderHardeningArgs>(args, hardeningSchema);
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const { details } = provider;
    const subject = `Cognito IdentityProvider '${name}'`;
    if (!config.allowIdpInitiated && isTrue(details.IDPInit) === true)
      report(
        `${subject} must not accept IdP-initiated SAML sign-in; set providerDetails.IDPInit to "false".`,
      );
    const signing = details.RequestSigningAlgorithm;
    if (config.requireSignedRequests && !isUnknownValue(signing) && !knownString(signing))
      report(
        `${subject} must sign its SAML requests; set providerDetails.RequestSigningAlgorithm to "rsa-sha256".`,
      );
    if (config.requireEncryptedResponses && isTrue(details.EncryptedResponses) === false)
      report(
        `${subject} must take encrypted SAML assertions only; set providerDetails.EncryptedResponses to "true".`,
      );
  }),
};

/** The federation policies of practice A. */
export const policies: Policies = [identityProviderHttps, samlProviderHardening];
