import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";

/** The Cognito resource server's identifier: scopes in tokens read `airline/<scope>`. */
export const RESOURCE_SERVER_IDENTIFIER = "airline";

/** Every API scope, with the description shown on the consent screen. One place, used everywhere. */
export const API_SCOPES = {
  "bookings.read": "Read the caller's bookings",
  "bookings.write": "Create and change the caller's bookings",
  "loyalty.read": "Read loyalty points",
} as const;

/** The name of one API scope (`bookings.read`, ...). */
export type ApiScope = keyof typeof API_SCOPES;

/** What the public web app may ask for on behalf of a signed-in customer. */
export const WEB_CLIENT_SCOPES: readonly ApiScope[] = ["bookings.read", "bookings.write"];

/** What the machine (client-credentials) client may ask for: read loyalty data, nothing else. */
export const MACHINE_CLIENT_SCOPES: readonly ApiScope[] = ["loyalty.read"];

/** Token lifetimes of the app clients: short access tokens, a month of refresh for the web app. */
export const TOKEN_VALIDITY = {
  accessTokenMinutes: 60,
  idTokenMinutes: 60,
  refreshTokenDays: 30,
} as const;

/**
 * The scope strings tokens carry: `airline/bookings.read` from Cognito (resource server
 * identifier + scope), the bare name (`bookings.read`) from an external OIDC provider, whose
 * administrators define these scope names on their side.
 */
export function scopeStrings(
  provider: "cognito" | "oidc",
  identifier: string = RESOURCE_SERVER_IDENTIFIER,
): Record<ApiScope, string> {
  const out = {} as Record<ApiScope, string>;
  for (const scope of Object.keys(API_SCOPES) as ApiScope[]) {
    out[scope] = provider === "cognito" ? `${identifier}/${scope}` : scope;
  }
  return out;
}

export interface IdentityArgs {
  /** `cognito`: create a user pool and its clients; `oidc`: trust an external issuer. */
  identityProvider: "cognito" | "oidc";
  /** Cognito: the hosted-UI domain prefix (`<prefix>.auth.<region>.amazoncognito.com`). */
  cognitoDomainPrefix?: string;
  /** Cognito: where the hosted UI may send the authorization code (https, or http://localhost). */
  cognitoCallbackUrls?: string[];
  /** Cognito: where the hosted UI may send the browser after sign-out. */
  cognitoLogoutUrls?: string[];
  /** Cognito: `OPTIONAL` lets users enrol in TOTP MFA; `ON` requires it (prod). */
  cognitoMfa?: "OPTIONAL" | "ON";
  /** OIDC: the issuer URL, exactly as in the tokens' `iss` claim (https). */
  oidcIssuer?: string;
  /** OIDC: the audiences (`aud`) the APIs accept. */
  oidcAudiences?: string[];
  /** OIDC: the JWKS URL, when it is not `<issuer>/.well-known/jwks.json`. */
  oidcJwksUri?: string;
  /**
   * Prod: deletion protection on the user pool, the `protect` resource option on the pool, its
   * domain, resource server and app clients (a replaced client gets a new id and secret, which
   * every app and API audience would have to follow), and Cognito threat protection (the Plus
   * feature plan) unless `threatProtection` says otherwise.
   */
  protect: boolean;
  /** Cognito threat protection (compromised credentials, adaptive auth). Default: ENFORCED when protect, else OFF. */
  threatProtection?: "OFF" | "AUDIT" | "ENFORCED";
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** Words Cognito refuses in a hosted-UI domain prefix. */
const RESERVED_DOMAIN_WORDS = ["aws", "amazon", "cognito"];

/**
 * Checks that the args describe one complete identity provider. Returns every problem, each
 * naming its field; an empty list means the args are usable.
 */
export function validateIdentityArgs(args: IdentityArgs): string[] {
  const problems: string[] = [];
  if (args.identityProvider === "cognito") {
    if (!args.cognitoDomainPrefix) {
      problems.push("cognitoDomainPrefix is required when identityProvider is cognito");
    } else {
      const reserved = RESERVED_DOMAIN_WORDS.filter((w) => args.cognitoDomainPrefix?.includes(w));
      if (reserved.length > 0) {
        problems.push(
          `cognitoDomainPrefix '${args.cognitoDomainPrefix}' must not contain ${reserved.join(", ")} (Cognito rejects it)`,
        );
      }
    }
    if (!args.cognitoCallbackUrls || args.cognitoCallbackUrls.length === 0) {
      problems.push("cognitoCallbackUrls needs at least one URL when identityProvider is cognito");
    }
  } else if (args.identityProvider === "oidc") {
    if (!args.oidcIssuer) {
      problems.push("oidcIssuer is required when identityProvider is oidc");
    } else if (!args.oidcIssuer.startsWith("https://")) {
      problems.push(`oidcIssuer must be an https:// URL, found '${args.oidcIssuer}'`);
    }
    if (!args.oidcAudiences || args.oidcAudiences.length === 0) {
      problems.push("oidcAudiences needs at least one audience when identityProvider is oidc");
    }
    if (args.oidcJwksUri !== undefined && !args.oidcJwksUri.startsWith("https://")) {
      problems.push(`oidcJwksUri must be an https:// URL, found '${args.oidcJwksUri}'`);
    }
  } else {
    problems.push(
      `identityProvider must be cognito or oidc, found '${String(args.identityProvider)}'`,
    );
  }
  return problems;
}

/**
 * Who callers are: a Cognito user pool (strong passwords, TOTP MFA, email sign-in, a hosted UI,
 * a resource server with the API scopes, a public web client and a machine client), or an
 * external OIDC issuer. Either way it exposes the issuer, audiences, JWKS URL and scope strings
 * the APIs' authorizers need.
 */
export class Identity extends pulumi.ComponentResource {
  /** The tokens' `iss`: `https://cognito-idp.<region>.amazonaws.com/<poolId>` or the OIDC issuer. */
  public readonly issuerUrl: pulumi.Output<string>;
  /** The accepted audiences: the app client ids (Cognito) or the configured audiences (OIDC). */
  public readonly audiences: pulumi.Output<string[]>;
  /** Where the issuer publishes its signing keys. */
  public readonly jwksUri: pulumi.Output<string>;
  /** Each API scope's string as it appears in tokens. */
  public readonly scopes: pulumi.Output<Record<ApiScope, string>>;
  /** The region of the user pool (and of the stack). */
  public readonly region: pulumi.Output<string>;
  /** Cognito only: the user pool. */
  public readonly userPool?: aws.cognito.UserPool;
  public readonly userPoolId?: pulumi.Output<string>;
  public readonly userPoolArn?: pulumi.Output<string>;
  /** Cognito only: the public web client (authorization code + PKCE, no secret). */
  public readonly webClientId?: pulumi.Output<string>;
  /** Cognito only: the machine client (client credentials). */
  public readonly machineClientId?: pulumi.Output<string>;
  /** Cognito only: the machine client's secret (a Pulumi secret). */
  public readonly machineClientSecret?: pulumi.Output<string>;
  /** Cognito only: the hosted UI's base URL. */
  public readonly hostedUiUrl?: pulumi.Output<string>;

  constructor(name: string, args: IdentityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:identity:Identity", name, {}, opts);
    const problems = validateIdentityArgs(args);
    assertValidArgs("Identity", name, problems, this);
    const tags = args.tags ?? {};
    this.region = aws.getRegionOutput({}, { parent: this }).region;

    if (args.identityProvider === "oidc") {
      const issuer = args.oidcIssuer as string;
      this.issuerUrl = pulumi.output(issuer);
      this.audiences = pulumi.output([...(args.oidcAudiences ?? [])]);
      this.jwksUri = pulumi.output(
        args.oidcJwksUri ?? `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`,
      );
      this.scopes = pulumi.output(scopeStrings("oidc"));
      this.registerOutputs({
        issuerUrl: this.issuerUrl,
        audiences: this.audiences,
        jwksUri: this.jwksUri,
        scopes: this.scopes,
        region: this.region,
      });
      return;
    }

    const threatProtection = args.threatProtection ?? (args.protect ? "ENFORCED" : "OFF");
    this.userPool = new aws.cognito.UserPool(
      `${name}-user-pool`,
      {
        // Email is the username: one identity per address, case-insensitive.
        usernameAttributes: ["email"],
        usernameConfiguration: { caseSensitive: false },
        autoVerifiedAttributes: ["email"],
        accountRecoverySetting: {
          recoveryMechanisms: [{ name: "verified_email", priority: 1 }],
        },
        passwordPolicy: {
          minimumLength: 14,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: true,
          temporaryPasswordValidityDays: 3,
        },
        mfaConfiguration: args.cognitoMfa ?? "OPTIONAL",
        // TOTP apps only: SMS codes can be SIM-swapped and need an SNS role and spend limits.
        softwareTokenMfaConfiguration: { enabled: true },
        deletionProtection: args.protect ? "ACTIVE" : "INACTIVE",
        // Threat protection (compromised credentials, adaptive authentication) is a Plus feature.
        userPoolTier: threatProtection === "OFF" ? "ESSENTIALS" : "PLUS",
        userPoolAddOns:
          threatProtection === "OFF" ? undefined : { advancedSecurityMode: threatProtection },
        tags,
      },
      { parent: this, protect: args.protect },
    );

    // The prefix is unique across Cognito in the region: a domain replaced create-first (for a
    // replaced pool) would ask for the prefix the old domain still holds.
    const domain = new aws.cognito.UserPoolDomain(
      `${name}-domain`,
      { domain: args.cognitoDomainPrefix as string, userPoolId: this.userPool.id },
      { parent: this, protect: args.protect, deleteBeforeReplace: true },
    );

    const resourceServer = new aws.cognito.ResourceServer(
      `${name}-resource-server`,
      {
        identifier: RESOURCE_SERVER_IDENTIFIER,
        name: `${RESOURCE_SERVER_IDENTIFIER} APIs`,
        userPoolId: this.userPool.id,
        scopes: (Object.keys(API_SCOPES) as ApiScope[]).map((scope) => ({
          scopeName: scope,
          scopeDescription: API_SCOPES[scope],
        })),
      },
      { parent: this, protect: args.protect },
    );
    // Built from the resource server's output, so each client waits for the scopes to exist
    // (Cognito rejects a client that names an unknown scope).
    const scopeIds = resourceServer.identifier.apply((id) => scopeStrings("cognito", id));
    this.scopes = scopeIds;
    const clientScopes = (names: readonly ApiScope[]) =>
      scopeIds.apply((ids) => names.map((n) => ids[n]));

    const tokenValidity = {
      accessTokenValidity: TOKEN_VALIDITY.accessTokenMinutes,
      idTokenValidity: TOKEN_VALIDITY.idTokenMinutes,
      refreshTokenValidity: TOKEN_VALIDITY.refreshTokenDays,
      tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "days" },
    };

    // A browser app cannot keep a secret: authorization code flow with PKCE, no client secret.
    const webClient = new aws.cognito.UserPoolClient(
      `${name}-web-client`,
      {
        userPoolId: this.userPool.id,
        generateSecret: false,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ["code"],
        allowedOauthScopes: clientScopes(WEB_CLIENT_SCOPES).apply((s) => ["openid", "email", ...s]),
        callbackUrls: args.cognitoCallbackUrls ?? [],
        logoutUrls: args.cognitoLogoutUrls ?? [],
        supportedIdentityProviders: ["COGNITO"],
        // SRP keeps the password off the wire; no USER_PASSWORD_AUTH.
        explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        authSessionValidity: 3,
        ...tokenValidity,
      },
      { parent: this, protect: args.protect },
    );

    // Service-to-service: client credentials with a secret, limited to the scopes it needs.
    const machineClient = new aws.cognito.UserPoolClient(
      `${name}-machine-client`,
      {
        userPoolId: this.userPool.id,
        generateSecret: true,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ["client_credentials"],
        allowedOauthScopes: clientScopes(MACHINE_CLIENT_SCOPES),
        supportedIdentityProviders: ["COGNITO"],
        // No user sign-in through this client: refresh only (client credentials issue no
        // refresh tokens, so this grants nothing in practice).
        explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        accessTokenValidity: TOKEN_VALIDITY.accessTokenMinutes,
        tokenValidityUnits: { accessToken: "minutes" },
      },
      // @pulumi/aws marks clientSecret as a secret output itself (a test keeps it so).
      { parent: this, protect: args.protect },
    );

    this.userPoolId = this.userPool.id;
    this.userPoolArn = this.userPool.arn;
    // The provider's endpoint is `cognito-idp.<region>.<dnsSuffix>/<poolId>`, the tokens' iss.
    this.issuerUrl = pulumi.interpolate`https://${this.userPool.endpoint}`;
    this.jwksUri = pulumi.interpolate`${this.issuerUrl}/.well-known/jwks.json`;
    this.webClientId = webClient.id;
    this.machineClientId = machineClient.id;
    this.machineClientSecret = pulumi.secret(machineClient.clientSecret);
    this.audiences = pulumi.all([webClient.id, machineClient.id]);
    this.hostedUiUrl = pulumi.interpolate`https://${domain.domain}.auth.${this.region}.amazoncognito.com`;

    this.registerOutputs({
      issuerUrl: this.issuerUrl,
      audiences: this.audiences,
      jwksUri: this.jwksUri,
      scopes: this.scopes,
      region: this.region,
      userPoolId: this.userPoolId,
      userPoolArn: this.userPoolArn,
      webClientId: this.webClientId,
      machineClientId: this.machineClientId,
      hostedUiUrl: this.hostedUiUrl,
    });
  }
}
