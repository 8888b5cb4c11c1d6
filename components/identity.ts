/**
 * Who callers are: the Identity component (a Cognito user pool with its resource server, app
 * clients and federated identity providers, or an external OIDC issuer) and the scope names the
 * APIs check.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  attributeMappingOf,
  IdentityProviderConfig,
  providerDetailsOf,
  providerSlug,
  validateIdentityProviders,
} from "./identity-providers";
import { assertValidArgs } from "./args";

/**
 * The app's OAuth scopes: the Cognito resource server that defines them and what each app
 * client may ask for. An external OIDC issuer's administrators define the same names there.
 */
export interface ApiScopesArgs {
  /** The resource server's identifier: Cognito tokens carry `<identifier>/<scope>`. */
  resourceServer: string;
  /** Every scope name, with the description shown on the consent screen. */
  scopes: Record<string, string>;
  /** What the public web client may ask for on behalf of a signed-in user. */
  webClient: string[];
  /** What the machine (client-credentials) client may ask for. */
  machineClient: string[];
}

/** Token lifetimes of the app clients: short access tokens, a month of refresh for the web app. */
export const TOKEN_VALIDITY = {
  accessTokenMinutes: 60,
  idTokenMinutes: 60,
  refreshTokenDays: 30,
} as const;

/**
 * The scope strings tokens carry: `<identifier>/<scope>` from Cognito (resource server
 * identifier + scope), the bare name from an external OIDC provider, whose administrators define
 * these scope names on their side.
 */
export function scopeStrings(
  provider: "cognito" | "oidc",
  names: string[],
  identifier: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const scope of names) out[scope] = provider === "cognito" ? `${identifier}/${scope}` : scope;
  return out;
}

export interface IdentityArgs {
  /** `cognito`: create a user pool and its clients; `oidc`: trust an external issuer. */
  identityProvider: "cognito" | "oidc";
  /** The app's OAuth scopes and which app client may ask for which. */
  apiScopes: ApiScopesArgs;
  /** Cognito: the hosted-UI domain prefix (`<prefix>.auth.<region>.amazoncognito.com`). */
  cognitoDomainPrefix?: string;
  /** Cognito: where the hosted UI may send the authorization code (https, or http://localhost). */
  cognitoCallbackUrls?: string[];
  /** Cognito: where the hosted UI may send the browser after sign-out. */
  cognitoLogoutUrls?: string[];
  /**
   * Cognito: federated identity providers (SAML, OIDC, social). Each becomes an
   * `aws.cognito.IdentityProvider` and a sign-in option of the web client.
   */
  identityProviders?: IdentityProviderConfig[];
  /**
   * Cognito: whether the web client also signs in the pool's own users (`COGNITO`). Default true;
   * false leaves sign-in to the identity providers (at least one is then required).
   */
  localUsers?: boolean;
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
  const problems: string[] = [...validateApiScopes(args.apiScopes)];
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
    if (args.localUsers === false && (args.identityProviders ?? []).length === 0) {
      problems.push(
        "localUsers false needs at least one of identityProviders (nobody could sign in)",
      );
    }
    for (const p of validateIdentityProviders(args.identityProviders ?? [])) {
      problems.push(`${providerPath(p.path)}: ${p.message}`);
    }
  } else if (args.identityProvider === "oidc") {
    if ((args.identityProviders ?? []).length > 0) {
      problems.push(
        "identityProviders need identityProvider cognito (they federate into its user pool)",
      );
    }
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

/** Every problem with the scopes, each naming its field. */
function validateApiScopes(scopes: ApiScopesArgs | undefined): string[] {
  if (!scopes || typeof scopes !== "object") return ["apiScopes: expected an object"];
  const problems: string[] = [];
  // Cognito: identifiers and scope names are printable ASCII without spaces, quotes or slashes.
  const token = /^[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]+$/;
  if (
    typeof scopes.resourceServer !== "string" ||
    !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scopes.resourceServer)
  )
    problems.push(
      `apiScopes.resourceServer: expected an identifier without spaces, found '${String(scopes.resourceServer)}'`,
    );
  const names = Object.keys(scopes.scopes ?? {});
  if (names.length === 0) problems.push("apiScopes.scopes: expected at least one scope");
  for (const n of names.filter((n) => !token.test(n)))
    problems.push(
      `apiScopes.scopes: '${n}' is not a valid scope name (no spaces, quotes or slashes)`,
    );
  for (const client of ["webClient", "machineClient"] as const)
    for (const n of scopes[client] ?? [])
      if (!names.includes(n))
        problems.push(
          `apiScopes.${client}: '${n}' is not one of apiScopes.scopes (${names.join(", ")})`,
        );
  return problems;
}

/** `identityProviders[0].attributeMapping.email` from a problem's path. */
function providerPath(path: (string | number)[]): string {
  return path.reduce<string>(
    (key, p) => key + (typeof p === "number" ? `[${p}]` : `.${p}`),
    "identityProviders",
  );
}

/**
 * Who callers are: a Cognito user pool (strong passwords, TOTP MFA, email sign-in, a hosted UI,
 * a resource server with the API scopes, a public web client and a machine client, and the
 * federated SAML, OIDC and social providers the web client offers beside local users), or an
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
  public readonly scopes: pulumi.Output<Record<string, string>>;
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
  /** Cognito only: the federated providers' names, as the web client's sign-in options. */
  public readonly identityProviderNames?: pulumi.Output<string[]>;

  constructor(name: string, args: IdentityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:identity:Identity", name, {}, opts);
    const problems = validateIdentityArgs(args);
    assertValidArgs("Identity", name, problems, this);
    this.region = aws.getRegionOutput({}, { parent: this }).region;

    if (args.identityProvider === "oidc") {
      const issuer = args.oidcIssuer as string;
      this.issuerUrl = pulumi.output(issuer);
      this.audiences = pulumi.output([...(args.oidcAudiences ?? [])]);
      this.jwksUri = pulumi.output(
        args.oidcJwksUri ?? `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`,
      );
      this.scopes = pulumi.output(
        scopeStrings("oidc", Object.keys(args.apiScopes.scopes), args.apiScopes.resourceServer),
      );
      this.registerOutputs({
        issuerUrl: this.issuerUrl,
        audiences: this.audiences,
        jwksUri: this.jwksUri,
        scopes: this.scopes,
        region: this.region,
      });
      return;
    }

    this.userPool = this.createUserPool(name, args);
    const domain = this.domain(name, args, this.userPool);
    const resourceServer = this.resourceServer(name, args, this.userPool);
    // Built from the resource server's output, so each client waits for the scopes to exist
    // (Cognito rejects a client that names an unknown scope).
    const scopeIds = resourceServer.identifier.apply((id) =>
      scopeStrings("cognito", Object.keys(args.apiScopes.scopes), id),
    );
    this.scopes = scopeIds;
    const clientScopes = (names: readonly string[]) =>
      scopeIds.apply((ids) => names.map((n) => ids[n]));

    const providers = this.federate(name, args);
    this.identityProviderNames = pulumi.output(providers.map((p) => p.providerName));

    const webClient = this.webClient(name, args, this.userPool, {
      scopes: clientScopes(args.apiScopes.webClient),
      providers,
    });
    const machineClient = this.machineClient(
      name,
      args,
      this.userPool,
      clientScopes(args.apiScopes.machineClient),
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
      identityProviderNames: this.identityProviderNames,
    });
  }

  /** The user pool: email sign-in, strong passwords, TOTP MFA and, when asked, threat protection. */
  private createUserPool(name: string, args: IdentityArgs): aws.cognito.UserPool {
    const threatProtection = args.threatProtection ?? (args.protect ? "ENFORCED" : "OFF");
    return new aws.cognito.UserPool(
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
        tags: args.tags ?? {},
      },
      { parent: this, protect: args.protect },
    );
  }

  /** The hosted UI's domain, so browsers have somewhere to sign in. */
  private domain(
    name: string,
    args: IdentityArgs,
    pool: aws.cognito.UserPool,
  ): aws.cognito.UserPoolDomain {
    // The prefix is unique across Cognito in the region: a domain replaced create-first (for a
    // replaced pool) would ask for the prefix the old domain still holds.
    return new aws.cognito.UserPoolDomain(
      `${name}-domain`,
      { domain: args.cognitoDomainPrefix as string, userPoolId: pool.id },
      { parent: this, protect: args.protect, deleteBeforeReplace: true },
    );
  }

  /** The resource server that defines the API scopes the clients may ask for. */
  private resourceServer(
    name: string,
    args: IdentityArgs,
    pool: aws.cognito.UserPool,
  ): aws.cognito.ResourceServer {
    return new aws.cognito.ResourceServer(
      `${name}-resource-server`,
      {
        identifier: args.apiScopes.resourceServer,
        name: `${args.apiScopes.resourceServer} APIs`,
        userPoolId: pool.id,
        scopes: Object.entries(args.apiScopes.scopes).map(([scope, description]) => ({
          scopeName: scope,
          scopeDescription: description,
        })),
      },
      { parent: this, protect: args.protect },
    );
  }

  /** The public web client: a browser app cannot keep a secret, so code flow with PKCE. */
  private webClient(
    name: string,
    args: IdentityArgs,
    pool: aws.cognito.UserPool,
    {
      scopes,
      providers,
    }: { scopes: pulumi.Output<string[]>; providers: aws.cognito.IdentityProvider[] },
  ): aws.cognito.UserPoolClient {
    // A browser app cannot keep a secret: authorization code flow with PKCE, no client secret.
    return new aws.cognito.UserPoolClient(
      `${name}-web-client`,
      {
        userPoolId: pool.id,
        generateSecret: false,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ["code"],
        allowedOauthScopes: scopes.apply((s) => ["openid", "email", ...s]),
        callbackUrls: args.cognitoCallbackUrls ?? [],
        logoutUrls: args.cognitoLogoutUrls ?? [],
        // From the providers' outputs: the client waits for them (Cognito refuses a client that
        // names a provider the pool does not have yet).
        supportedIdentityProviders: pulumi
          .all(providers.map((p) => p.providerName))
          .apply((names) => [...(args.localUsers === false ? [] : ["COGNITO"]), ...names]),
        // SRP keeps the password off the wire; no USER_PASSWORD_AUTH.
        explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        authSessionValidity: 3,
        accessTokenValidity: TOKEN_VALIDITY.accessTokenMinutes,
        idTokenValidity: TOKEN_VALIDITY.idTokenMinutes,
        refreshTokenValidity: TOKEN_VALIDITY.refreshTokenDays,
        tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "days" },
      },
      { parent: this, protect: args.protect },
    );
  }

  /** The machine client: service-to-service callers, client credentials with a secret. */
  private machineClient(
    name: string,
    args: IdentityArgs,
    pool: aws.cognito.UserPool,
    scopes: pulumi.Output<string[]>,
  ): aws.cognito.UserPoolClient {
    // Service-to-service: client credentials with a secret, limited to the scopes it needs.
    return new aws.cognito.UserPoolClient(
      `${name}-machine-client`,
      {
        userPoolId: pool.id,
        generateSecret: true,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ["client_credentials"],
        allowedOauthScopes: scopes,
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
  }

  /**
   * One `aws.cognito.IdentityProvider` per configured provider, protected with the pool: deleting
   * a provider stops every user of it signing in.
   */
  private federate(name: string, args: IdentityArgs): aws.cognito.IdentityProvider[] {
    const pool = this.userPool as aws.cognito.UserPool;
    return (args.identityProviders ?? []).map(
      (p) =>
        new aws.cognito.IdentityProvider(
          `${name}-idp-${providerSlug(p.name)}`,
          {
            userPoolId: pool.id,
            providerName: p.name,
            providerType: p.type,
            providerDetails: providerDetailsOf(p),
            attributeMapping: attributeMappingOf(p),
            idpIdentifiers: p.idpIdentifiers,
          },
          {
            parent: this,
            protect: args.protect,
            // Cognito adds its current encryption certificate to a SAML provider's details and
            // rotates it; read back, it would show as a change on every update.
            ignoreChanges: p.type === "SAML" ? ["providerDetails.ActiveEncryptionCertificate"] : [],
          },
        ),
    );
  }
}
