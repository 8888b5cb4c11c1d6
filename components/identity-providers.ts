/**
 * Federated sign-in into the Cognito user pool: the shapes of the identity providers a stack may
 * declare (SAML, OIDC and the four social providers Cognito supports), their validation, and the
 * `providerDetails` and `attributeMapping` Cognito receives for each. Pure functions: the Identity
 * component creates the resources, config.ts reports bad entries with their keys.
 */
import * as pulumi from "@pulumi/pulumi";
import { isHttpsUrl } from "./args";

/** The provider types of `aws.cognito.IdentityProvider`, as Cognito spells them. */
export const IDENTITY_PROVIDER_TYPES = [
  "SAML",
  "OIDC",
  "Google",
  "SignInWithApple",
  "Facebook",
  "LoginWithAmazon",
] as const;

/** One provider type. */
export type IdentityProviderType = (typeof IDENTITY_PROVIDER_TYPES)[number];

/** Social providers: Cognito requires the provider name to be the type itself. */
export const SOCIAL_PROVIDER_TYPES: readonly IdentityProviderType[] = [
  "Google",
  "SignInWithApple",
  "Facebook",
  "LoginWithAmazon",
];

interface ProviderBase {
  /** The provider name (3-32 characters); social providers must be named as their type. */
  name: string;
  /**
   * User pool attribute → IdP attribute (SAML attribute name or OIDC claim). Added to, and
   * overriding, the type's default mapping ({@link DEFAULT_ATTRIBUTE_MAPPING}).
   */
  attributeMapping?: Record<string, string>;
  /** Identifiers (such as email domains) that route a user to this provider. */
  idpIdentifiers?: string[];
}

/** A SAML 2.0 IdP (the workforce directory). */
export interface SamlProvider extends ProviderBase {
  type: "SAML";
  /** The IdP's metadata URL (https); Cognito fetches it and follows certificate rotation. */
  metadataUrl?: string;
  /** The IdP's metadata document (XML), when it publishes no URL. */
  metadataFile?: string;
  /** Accept unsolicited (IdP-initiated) responses. Default false: only SP-initiated sign-in. */
  idpInitiated?: boolean;
  /** Send sign-out to the IdP (SAML single logout). Default false. */
  idpSignout?: boolean;
  /** Sign authentication requests with rsa-sha256. Default true. */
  signRequests?: boolean;
  /** Require the IdP to encrypt its assertions to Cognito's certificate. Default true. */
  encryptedResponses?: boolean;
}

/** An OpenID Connect IdP. */
export interface OidcProvider extends ProviderBase {
  type: "OIDC";
  /** The issuer (https), exactly as in its tokens' `iss`; Cognito discovers the endpoints. */
  issuer: string;
  clientId: string;
  /** A Pulumi secret. */
  clientSecret: pulumi.Input<string>;
  /** Scopes Cognito asks for; must include `openid`. Default openid, email, profile. */
  scopes?: string[];
  /** How Cognito calls the userinfo endpoint. Default GET. */
  attributesRequestMethod?: "GET" | "POST";
  /** All four when the issuer has no discovery document (https). */
  authorizeUrl?: string;
  tokenUrl?: string;
  attributesUrl?: string;
  jwksUri?: string;
}

/** Google, Facebook or Login with Amazon: an OAuth client id and secret. */
export interface OAuthSocialProvider extends ProviderBase {
  type: "Google" | "Facebook" | "LoginWithAmazon";
  clientId: string;
  /** A Pulumi secret. */
  clientSecret: pulumi.Input<string>;
  /** Scopes Cognito asks for. Default: the type's profile and email scopes. */
  scopes?: string[];
  /** Facebook only: the Graph API version, such as v17.0. */
  apiVersion?: string;
}

/** Sign in with Apple: a services id, team, key id and the key itself. */
export interface AppleProvider extends ProviderBase {
  type: "SignInWithApple";
  /** The services id. */
  clientId: string;
  teamId: string;
  keyId: string;
  /** The .p8 private key: a Pulumi secret. */
  privateKey: pulumi.Input<string>;
  /** Default email, name. */
  scopes?: string[];
}

/** One identity provider of the user pool. */
export type IdentityProviderConfig =
  SamlProvider | OidcProvider | OAuthSocialProvider | AppleProvider;

/** The fields of each type that hold a secret: config must give them as Pulumi secrets. */
export const SECRET_FIELDS: Record<IdentityProviderType, readonly string[]> = {
  SAML: [],
  OIDC: ["clientSecret"],
  Google: ["clientSecret"],
  Facebook: ["clientSecret"],
  LoginWithAmazon: ["clientSecret"],
  SignInWithApple: ["privateKey"],
};

const SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";

/**
 * What each type maps by default. `email_verified` only from an IdP that asserts it in its own
 * claim (OIDC, Google, Apple): a mapped address is unverified otherwise, which is what Cognito
 * assumes. Nothing maps an IdP's groups: `cognito:groups` comes from user pool groups only.
 */
export const DEFAULT_ATTRIBUTE_MAPPING: Record<IdentityProviderType, Record<string, string>> = {
  SAML: { email: SAML_EMAIL },
  OIDC: { email: "email", email_verified: "email_verified", username: "sub" },
  Google: { email: "email", email_verified: "email_verified", username: "sub" },
  SignInWithApple: { email: "email", email_verified: "email_verified", username: "sub" },
  Facebook: { email: "email", username: "id" },
  LoginWithAmazon: { email: "email", username: "user_id" },
};

/** The IdP claim each type may map to a `*_verified` attribute: its own assertion, or none. */
const VERIFIED_SOURCES: Record<IdentityProviderType, "own-claim" | "explicit" | "never"> = {
  OIDC: "own-claim",
  Google: "own-claim",
  SignInWithApple: "own-claim",
  // A SAML IdP has no standard claim: an explicit mapping is the operator's word that it asserts one.
  SAML: "explicit",
  Facebook: "never",
  LoginWithAmazon: "never",
};

const DEFAULT_SCOPES: Record<Exclude<IdentityProviderType, "SAML">, string[]> = {
  OIDC: ["openid", "email", "profile"],
  Google: ["openid", "email", "profile"],
  SignInWithApple: ["email", "name"],
  Facebook: ["public_profile", "email"],
  LoginWithAmazon: ["profile"],
};

/**
 * The user pool attributes an IdP may write: the standard attributes (the pool declares no
 * custom ones) and `username`, the federated user's key. `sub` and `cognito:*` are Cognito's own.
 */
export const MAPPABLE_ATTRIBUTES: readonly string[] = [
  "address",
  "birthdate",
  "email",
  "email_verified",
  "family_name",
  "gender",
  "given_name",
  "locale",
  "middle_name",
  "name",
  "nickname",
  "phone_number",
  "phone_number_verified",
  "picture",
  "preferred_username",
  "profile",
  "updated_at",
  "username",
  "website",
  "zoneinfo",
];

/** One problem with a provider entry: the path below the provider list, and what is wrong. */
export interface ProviderProblem {
  path: (string | number)[];
  message: string;
}

// Cognito's ProviderName pattern, and its limits on identifiers.
const PROVIDER_NAME = /^[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+$/u;
const IDP_IDENTIFIER = /^[\w\s+=.@-]{1,40}$/;

/**
 * The provider's part of its resource's logical name: lower case, punctuation as dashes. Two
 * providers with the same slug would be one resource, so validation refuses that too.
 */
export function providerSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, "-");
}

/**
 * Checks a list of providers: names, duplicates, what each type needs, https endpoints and the
 * attribute mapping. Returns every problem with its path (`[index, field]`); empty when usable.
 */
export function validateIdentityProviders(
  providers: readonly IdentityProviderConfig[],
): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  const names = new Map<string, number>();
  const identifiers = new Map<string, number>();
  providers.forEach((p, i) => {
    const at = (field: string | number, message: string, ...rest: (string | number)[]) =>
      problems.push({ path: [i, field, ...rest], message });
    problems.push(...nameProblems(p, i));
    const seen = names.get(providerSlug(p.name));
    if (seen !== undefined) at("name", `duplicate provider name '${p.name}' (also entry ${seen})`);
    else names.set(providerSlug(p.name), i);
    (p.idpIdentifiers ?? []).forEach((id, j) => {
      if (!IDP_IDENTIFIER.test(id))
        at("idpIdentifiers", "expected 1-40 letters, digits, spaces or + = . @ _ -", j);
      const other = identifiers.get(id);
      if (other !== undefined && other !== i)
        at("idpIdentifiers", `identifier '${id}' also routes to entry ${other}`, j);
      identifiers.set(id, i);
    });
    problems.push(...typeProblems(p).map((x) => ({ ...x, path: [i, ...x.path] })));
    problems.push(...mappingProblems(p).map((x) => ({ ...x, path: [i, ...x.path] })));
  });
  return problems;
}

function nameProblems(p: IdentityProviderConfig, i: number): ProviderProblem[] {
  const problem = (message: string) => [{ path: [i, "name"], message }];
  if (SOCIAL_PROVIDER_TYPES.includes(p.type))
    return p.name === p.type ? [] : problem(`a ${p.type} provider must be named '${p.type}'`);
  if (p.name === "COGNITO" || (SOCIAL_PROVIDER_TYPES as readonly string[]).includes(p.name))
    return problem(`'${p.name}' is reserved by Cognito`);
  if (p.name.length < 3 || p.name.length > 32 || !PROVIDER_NAME.test(p.name))
    return problem("expected 3-32 characters, no leading or trailing space or underscore");
  return [];
}

/** What each type needs: metadata or issuer, credentials, https endpoints, scopes. */
function typeProblems(p: IdentityProviderConfig): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  const need = (field: string, message: string) => problems.push({ path: [field], message });
  const required = (fields: string[]) => {
    for (const f of fields) {
      const v = (p as unknown as Record<string, unknown>)[f];
      if (v === undefined || v === "") need(f, `required for a ${p.type} provider`);
    }
  };
  if (p.type === "SAML") {
    if ((p.metadataUrl === undefined) === (p.metadataFile === undefined))
      need("metadataUrl", "expected exactly one of metadataUrl and metadataFile");
    if (p.metadataUrl !== undefined && !isHttpsUrl(p.metadataUrl))
      need("metadataUrl", "expected an https:// URL (metadata carries the IdP's signing keys)");
    if (p.metadataFile !== undefined && !/^\s*<[\s\S]*EntityDescriptor/.test(p.metadataFile))
      need("metadataFile", "expected a SAML metadata document (an EntityDescriptor)");
    return problems;
  }
  if (p.type === "SignInWithApple") required(["clientId", "teamId", "keyId", "privateKey"]);
  else required(["clientId", "clientSecret"]);
  if (p.type === "OIDC") {
    if (!isHttpsUrl(p.issuer)) need("issuer", "expected an https:// issuer URL");
    const endpoints = ["authorizeUrl", "tokenUrl", "attributesUrl", "jwksUri"] as const;
    const given = endpoints.filter((e) => p[e] !== undefined);
    for (const e of given) if (!isHttpsUrl(p[e])) need(e, "expected an https:// URL");
    if (given.length > 0 && given.length < endpoints.length)
      for (const e of endpoints.filter((x) => p[x] === undefined))
        need(e, "required when any of authorizeUrl, tokenUrl, attributesUrl, jwksUri is set");
    if (p.scopes !== undefined && !p.scopes.includes("openid"))
      need("scopes", "expected openid among the scopes of an OIDC provider");
  }
  return problems;
}

/** Targets must be attributes the pool has; `*_verified` only from an IdP that asserts it. */
function mappingProblems(p: IdentityProviderConfig): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  for (const [target, source] of Object.entries(p.attributeMapping ?? {})) {
    const at = (message: string) => problems.push({ path: ["attributeMapping", target], message });
    if (target === "cognito:groups" || target === "groups") {
      at(
        "an IdP's groups never become cognito:groups (the resolvers grant admin access from it); add users to the user pool group instead",
      );
    } else if (!MAPPABLE_ATTRIBUTES.includes(target)) {
      at(`unknown user pool attribute; expected one of ${MAPPABLE_ATTRIBUTES.join(", ")}`);
    } else if (target.endsWith("_verified")) {
      const rule = VERIFIED_SOURCES[p.type];
      if (rule === "never")
        at(`${p.type} does not assert ${target}; leave it unmapped (the address stays unverified)`);
      else if (rule === "own-claim" && source !== target)
        at(`expected ${p.type}'s own ${target} claim as the source, found '${source}'`);
    }
    if (typeof source !== "string" || source.trim() === "")
      at("expected the IdP attribute name to map from");
  }
  return problems;
}

/** The attribute mapping Cognito receives: the type's defaults, then the configured entries. */
export function attributeMappingOf(p: IdentityProviderConfig): Record<string, string> {
  return { ...DEFAULT_ATTRIBUTE_MAPPING[p.type], ...(p.attributeMapping ?? {}) };
}

/**
 * The `providerDetails` Cognito receives. SAML: requests signed and responses encrypted unless
 * config turns them off, IdP-initiated sign-in off unless turned on. Secrets stay secret.
 */
export function providerDetailsOf(
  p: IdentityProviderConfig,
): pulumi.Input<Record<string, pulumi.Input<string>>> {
  const scopes = p.type === "SAML" ? [] : (p.scopes ?? DEFAULT_SCOPES[p.type]);
  switch (p.type) {
    case "SAML":
      return {
        ...(p.metadataUrl !== undefined ? { MetadataURL: p.metadataUrl } : {}),
        ...(p.metadataFile !== undefined ? { MetadataFile: p.metadataFile } : {}),
        IDPInit: String(p.idpInitiated ?? false),
        IDPSignout: String(p.idpSignout ?? false),
        EncryptedResponses: String(p.encryptedResponses ?? true),
        ...(p.signRequests === false ? {} : { RequestSigningAlgorithm: "rsa-sha256" }),
      };
    case "OIDC":
      return {
        client_id: p.clientId,
        client_secret: pulumi.secret(p.clientSecret),
        oidc_issuer: p.issuer,
        authorize_scopes: scopes.join(" "),
        attributes_request_method: p.attributesRequestMethod ?? "GET",
        ...(p.authorizeUrl !== undefined ? { authorize_url: p.authorizeUrl } : {}),
        ...(p.tokenUrl !== undefined ? { token_url: p.tokenUrl } : {}),
        ...(p.attributesUrl !== undefined ? { attributes_url: p.attributesUrl } : {}),
        ...(p.jwksUri !== undefined ? { jwks_uri: p.jwksUri } : {}),
      };
    case "SignInWithApple":
      return {
        client_id: p.clientId,
        team_id: p.teamId,
        key_id: p.keyId,
        private_key: pulumi.secret(p.privateKey),
        authorize_scopes: scopes.join(" "),
      };
    default:
      return {
        client_id: p.clientId,
        client_secret: pulumi.secret(p.clientSecret),
        // Facebook separates its scopes with commas, the others with spaces.
        authorize_scopes: scopes.join(p.type === "Facebook" ? "," : " "),
        ...(p.type === "Facebook" && p.apiVersion !== undefined
          ? { api_version: p.apiVersion }
          : {}),
      };
  }
}
