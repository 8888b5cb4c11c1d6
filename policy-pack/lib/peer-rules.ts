/**
 * Peer parity: the rules other checkers (cdk-nag, awslabs serverless-rules, checkov, AWS Security
 * Hub, Prowler, the Pulumi AWSGuard pack) have about API Gateway, AppSync, Cognito, Lambda
 * permissions and URLs, and WAF, each mapped to the policies of this pack that cover it, or to the
 * reason it lies outside SEC1. Rule ids are the peers' own; what each checks is said in our words.
 * scripts/readme.ts renders it into the pack's README and test/peer-rules.test.ts keeps every
 * policy it names real.
 */

/** The checkers compared with. */
export type PeerTool =
  "cdk-nag" | "serverless-rules" | "checkov" | "Security Hub" | "Prowler" | "AWSGuard";

/** How a peer rule maps onto the pack. */
export type PeerCoverage =
  /** Covered by these policies (all of the rule's intent). */
  | { policies: string[] }
  /** Covered in part: what the policies leave out, and why. */
  | { policies: string[]; partial: string }
  /** Not a SEC1 concern: why. */
  | { outside: string };

/** One rule of a peer checker. */
export interface PeerRule {
  tool: PeerTool;
  /** The rule's id as the peer spells it. */
  id: string;
  /** What the rule checks, in our words. */
  checks: string;
  coverage: PeerCoverage;
}

const CACHING = "response caching is about performance and cost, not who may call";
const CLIENT_CERT =
  "a client certificate authenticates API Gateway to the backend, not callers to the API";
const TRACING = "tracing helps operations; SEC1 asks for it only on REST stages";

/** The peer rules, by checker. */
export const PEER_RULES: PeerRule[] = [
  // cdk-nag, AwsSolutions pack (RULES.md): APIG5, COG5, COG6, ASC1 and ASC2 do not exist.
  {
    tool: "cdk-nag",
    id: "AwsSolutions-APIG1",
    checks: "API stages write access logs",
    coverage: { policies: ["sec1-x-stage-access-logging"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-APIG2",
    checks: "REST APIs validate requests",
    coverage: { policies: ["sec1-x-rest-request-validation"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-APIG3",
    checks: "REST stages are associated with a WAFv2 web ACL",
    coverage: { policies: ["sec1-x-waf-association", "sec1-x-waf-web-acl-rules"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-APIG4",
    checks: "APIs implement authorization",
    coverage: { policies: ["sec1-a-rest-method-authorization", "sec1-a-http-route-authorization"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-APIG6",
    checks: "REST stages log execution for all methods",
    coverage: { policies: ["sec1-x-rest-execution-logging"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-COG1",
    checks: "user pool passwords: length 8 or more, upper case, numbers, symbols",
    coverage: { policies: ["sec1-a-user-pool-password-policy"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-COG2",
    checks: "user pools require MFA",
    coverage: { policies: ["sec1-a-user-pool-mfa"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-COG3",
    checks: "user pools enforce advanced security (retired, replaced by COG8)",
    coverage: { policies: ["sec1-a-user-pool-threat-protection"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-COG4",
    checks: "REST methods use a Cognito user pool authorizer",
    coverage: {
      policies: ["sec1-a-rest-method-authorization"],
      partial:
        "any authenticating type passes (AWS_IAM, a Lambda authorizer, Cognito): SEC1 asks that every method authenticates, not that it uses Cognito",
    },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-COG7",
    checks: "identity pools allow no unauthenticated logins",
    coverage: { policies: ["sec1-a-cognito-identity-pool-unauthenticated"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-COG8",
    checks: "user pools are on the Plus feature plan (threat protection)",
    coverage: { policies: ["sec1-a-user-pool-threat-protection"] },
  },
  {
    tool: "cdk-nag",
    id: "AwsSolutions-ASC3",
    checks: "GraphQL APIs log requests",
    coverage: { policies: ["sec1-x-appsync-logging"] },
  },
  {
    tool: "cdk-nag",
    id: "LambdaFunctionUrlAuth",
    checks: "function URLs are not public and unauthenticated",
    coverage: { policies: ["sec1-a-lambda-function-url-auth"] },
  },

  // awslabs serverless-rules (cfn-lint ids; cdk-nag's Serverless pack carries the same rules by name)
  {
    tool: "serverless-rules",
    id: "ES2000",
    checks: "API stages log access (cdk-nag APIGWAccessLogging)",
    coverage: { policies: ["sec1-x-stage-access-logging"] },
  },
  {
    tool: "serverless-rules",
    id: "WS2001",
    checks: "API access logs are structured JSON (cdk-nag APIGWStructuredLogging)",
    coverage: {
      policies: ["sec1-x-stage-access-logging"],
      partial: "a format is required, JSON is recommended in the remediation but not checked",
    },
  },
  {
    tool: "serverless-rules",
    id: "WS2002",
    checks: "REST stages trace with X-Ray (cdk-nag APIGWXrayEnabled)",
    coverage: { policies: ["sec1-x-rest-stage-tracing"] },
  },
  {
    tool: "serverless-rules",
    id: "ES2003",
    checks: "API stages set their own throttling (cdk-nag APIGWDefaultThrottling)",
    coverage: { policies: ["sec1-k-stage-throttling"] },
  },
  {
    tool: "serverless-rules",
    id: "WS3000",
    checks: "AppSync APIs trace with X-Ray (cdk-nag AppSyncTracing)",
    coverage: { outside: TRACING },
  },
  {
    tool: "serverless-rules",
    id: "WS1000",
    checks: "Lambda functions trace with X-Ray (cdk-nag LambdaTracing)",
    coverage: { outside: TRACING },
  },
  {
    tool: "serverless-rules",
    id: "WS1002",
    checks: "a function's permissions do not serve several principals",
    coverage: {
      policies: ["sec1-i-lambda-permission-source-arn", "sec1-i-lambda-permission-source-api"],
      partial:
        "each permission must name the API that calls the function; several permissions for several APIs are accepted",
    },
  },
  {
    tool: "serverless-rules",
    id: "WS1003",
    checks: "function roles use no wildcard permissions (cdk-nag StarPermissions)",
    coverage: {
      policies: ["sec1-i-execute-api-invoke-scope", "sec1-i-api-function-direct-invoke"],
      partial:
        "wildcards are judged where they reach an API (execute-api:Invoke) or a function behind one (lambda:InvokeFunction); wildcards on data stores are least privilege beyond SEC1",
    },
  },

  // checkov
  {
    tool: "checkov",
    id: "CKV_AWS_59",
    checks: "REST methods are not open without authorization",
    coverage: { policies: ["sec1-a-rest-method-authorization"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_309",
    checks: "HTTP API routes name an authorization type",
    coverage: { policies: ["sec1-a-http-route-authorization"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_258",
    checks: "function URLs do not use auth type NONE",
    coverage: { policies: ["sec1-a-lambda-function-url-auth"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_364",
    checks: "Lambda permissions for services are limited by source ARN or account",
    coverage: { policies: ["sec1-i-lambda-permission-source-arn"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_76",
    checks: "API stages log access",
    coverage: { policies: ["sec1-x-stage-access-logging"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_206",
    checks: "API custom domains use a modern TLS policy",
    coverage: { policies: ["sec1-x-custom-domain-tls"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_120",
    checks: "REST stages cache responses",
    coverage: { outside: CACHING },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_225",
    checks: "cached REST responses are encrypted",
    coverage: { outside: CACHING },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_237",
    checks: "REST APIs are created before the old one is destroyed",
    coverage: { outside: "replacement order is about availability, not access" },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_193",
    checks: "AppSync APIs log",
    coverage: { policies: ["sec1-x-appsync-logging"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_194",
    checks: "AppSync APIs log at field level",
    coverage: { policies: ["sec1-x-appsync-logging"] },
  },
  {
    tool: "checkov",
    id: "CKV_AWS_45",
    checks: "function environments hold no secrets",
    coverage: { policies: ["sec1-k-literal-credentials", "sec1-k-environment-secrets"] },
  },
  {
    tool: "checkov",
    id: "CKV2_AWS_29",
    checks: "public REST APIs sit behind WAF",
    coverage: { policies: ["sec1-x-waf-association", "sec1-x-waf-web-acl-rules"] },
  },
  {
    tool: "checkov",
    id: "CKV2_AWS_31",
    checks: "WAFv2 web ACLs have a logging configuration",
    coverage: { policies: ["sec1-x-waf-logging"] },
  },
  {
    tool: "checkov",
    id: "CKV2_AWS_51",
    checks: "REST stages use a client certificate",
    coverage: { outside: CLIENT_CERT },
  },
  {
    tool: "checkov",
    id: "CKV2_AWS_53",
    checks: "REST methods validate request parameters",
    coverage: { policies: ["sec1-x-rest-request-validation"] },
  },
  {
    tool: "checkov",
    id: "CKV2_AWS_75",
    checks: "no open CORS policy (function URLs)",
    coverage: {
      policies: ["sec1-e-function-url-cors-credentials", "sec1-e-function-url-cors-origins"],
    },
  },

  // AWS Security Hub (CSPM controls)
  {
    tool: "Security Hub",
    id: "APIGateway.1",
    checks: "REST and WebSocket stages log execution",
    coverage: {
      policies: ["sec1-x-rest-execution-logging"],
      partial: "REST stages only; WebSocket stages are checked for access logs",
    },
  },
  {
    tool: "Security Hub",
    id: "APIGateway.2",
    checks: "REST stages use an SSL certificate for backend authentication",
    coverage: { outside: CLIENT_CERT },
  },
  {
    tool: "Security Hub",
    id: "APIGateway.3",
    checks: "REST stages trace with X-Ray",
    coverage: { policies: ["sec1-x-rest-stage-tracing"] },
  },
  {
    tool: "Security Hub",
    id: "APIGateway.4",
    checks: "APIs are associated with a WAF web ACL",
    coverage: { policies: ["sec1-x-waf-association", "sec1-x-waf-web-acl-rules"] },
  },
  {
    tool: "Security Hub",
    id: "APIGateway.5",
    checks: "REST cache data is encrypted at rest",
    coverage: { outside: CACHING },
  },
  {
    tool: "Security Hub",
    id: "APIGateway.8",
    checks: "HTTP API routes name an authorization type",
    coverage: { policies: ["sec1-a-http-route-authorization"] },
  },
  {
    tool: "Security Hub",
    id: "APIGateway.9",
    checks: "HTTP and WebSocket stages log access",
    coverage: { policies: ["sec1-x-stage-access-logging"] },
  },
  {
    tool: "Security Hub",
    id: "AppSync.2",
    checks: "AppSync APIs log at field level",
    coverage: { policies: ["sec1-x-appsync-logging"] },
  },
  {
    tool: "Security Hub",
    id: "AppSync.5",
    checks: "AppSync APIs are not authenticated with API keys",
    coverage: { policies: ["sec1-a-appsync-auth-providers"] },
  },
  {
    tool: "Security Hub",
    id: "Cognito.1",
    checks: "user pools enforce threat protection for standard sign-in",
    coverage: { policies: ["sec1-a-user-pool-threat-protection"] },
  },
  {
    tool: "Security Hub",
    id: "Cognito.2",
    checks: "identity pools allow no unauthenticated identities",
    coverage: { policies: ["sec1-a-cognito-identity-pool-unauthenticated"] },
  },
  {
    tool: "Security Hub",
    id: "WAF.11",
    checks: "WAFv2 web ACLs log",
    coverage: { policies: ["sec1-x-waf-logging"] },
  },

  // Prowler (AWS provider checks)
  {
    tool: "Prowler",
    id: "apigateway_restapi_authorizers_enabled",
    checks: "REST APIs have an authorizer",
    coverage: { policies: ["sec1-a-rest-method-authorization"] },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_public",
    checks: "REST APIs are not public",
    coverage: { policies: ["sec1-e-rest-endpoint-type"] },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_public_with_authorizer",
    checks: "public REST APIs have an authorizer",
    coverage: { policies: ["sec1-a-rest-method-authorization", "sec1-e-rest-endpoint-type"] },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_logging_enabled",
    checks: "REST stages log",
    coverage: { policies: ["sec1-x-stage-access-logging", "sec1-x-rest-execution-logging"] },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_tracing_enabled",
    checks: "REST stages trace with X-Ray",
    coverage: { policies: ["sec1-x-rest-stage-tracing"] },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_waf_acl_attached",
    checks: "REST stages have a WAF web ACL",
    coverage: { policies: ["sec1-x-waf-association", "sec1-x-waf-web-acl-rules"] },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_client_certificate_enabled",
    checks: "REST stages use a client certificate",
    coverage: { outside: CLIENT_CERT },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_cache_encrypted",
    checks: "REST caches are encrypted",
    coverage: { outside: CACHING },
  },
  {
    tool: "Prowler",
    id: "apigateway_restapi_no_secrets_in_stage_variables",
    checks: "stage variables hold no secrets",
    coverage: { policies: ["sec1-k-literal-credentials", "sec1-k-environment-secrets"] },
  },
  {
    tool: "Prowler",
    id: "apigatewayv2_api_authorizers_enabled",
    checks: "HTTP and WebSocket APIs have an authorizer",
    coverage: { policies: ["sec1-a-http-route-authorization"] },
  },
  {
    tool: "Prowler",
    id: "apigatewayv2_api_access_logging_enabled",
    checks: "HTTP and WebSocket stages log access",
    coverage: { policies: ["sec1-x-stage-access-logging"] },
  },
  {
    tool: "Prowler",
    id: "appsync_field_level_logging_enabled",
    checks: "AppSync APIs log at field level",
    coverage: { policies: ["sec1-x-appsync-logging"] },
  },
  {
    tool: "Prowler",
    id: "appsync_graphql_api_no_api_key_authentication",
    checks: "AppSync APIs do not use API keys",
    coverage: { policies: ["sec1-a-appsync-auth-providers"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_mfa_enabled",
    checks: "user pools use MFA",
    coverage: { policies: ["sec1-a-user-pool-mfa"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_advanced_security_enabled",
    checks: "user pools use advanced security (threat protection)",
    coverage: { policies: ["sec1-a-user-pool-threat-protection"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_password_policy_minimum_length_14",
    checks: "user pool passwords are 14 characters or more",
    coverage: {
      policies: ["sec1-a-user-pool-password-policy"],
      partial: "the default minimum is 8 (cdk-nag COG1); set `minimumLength: 14` for Prowler's bar",
    },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_password_policy_lowercase",
    checks: "passwords need a lower-case letter",
    coverage: { policies: ["sec1-a-user-pool-password-policy"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_password_policy_uppercase",
    checks: "passwords need an upper-case letter",
    coverage: { policies: ["sec1-a-user-pool-password-policy"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_password_policy_number",
    checks: "passwords need a number",
    coverage: { policies: ["sec1-a-user-pool-password-policy"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_password_policy_symbol",
    checks: "passwords need a symbol",
    coverage: { policies: ["sec1-a-user-pool-password-policy"] },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_self_registration_disabled",
    checks: "user pools take no self sign-up",
    coverage: {
      policies: ["sec1-a-user-pool-self-sign-up"],
      partial: "only pools config marks as workforce: customer pools sign people up by design",
    },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_client_prevent_user_existence_errors",
    checks: "sign-in errors do not reveal whether a user exists",
    coverage: { outside: "concerns what the sign-in pages reveal, not who may call the API" },
  },
  {
    tool: "Prowler",
    id: "cognito_user_pool_waf_acl_attached",
    checks: "user pools have a WAF web ACL",
    coverage: {
      outside: "protects the sign-in endpoints, not the API; the API's own web ACL is checked",
    },
  },
  {
    tool: "Prowler",
    id: "cognito_identity_pool_guest_access_disabled",
    checks: "identity pools allow no guests",
    coverage: { policies: ["sec1-a-cognito-identity-pool-unauthenticated"] },
  },
  {
    tool: "Prowler",
    id: "awslambda_function_url_public",
    checks: "function URLs are not public",
    coverage: { policies: ["sec1-a-lambda-function-url-auth"] },
  },
  {
    tool: "Prowler",
    id: "awslambda_function_url_cors_policy",
    checks: "function URL CORS does not allow every origin",
    coverage: {
      policies: ["sec1-e-function-url-cors-credentials", "sec1-e-function-url-cors-origins"],
    },
  },
  {
    tool: "Prowler",
    id: "awslambda_function_no_secrets_in_variables",
    checks: "function environments hold no secrets",
    coverage: { policies: ["sec1-k-literal-credentials", "sec1-k-environment-secrets"] },
  },
  {
    tool: "Prowler",
    id: "awslambda_function_not_publicly_accessible",
    checks: "function resource policies do not allow everyone",
    coverage: { policies: ["sec1-i-lambda-permission-source-arn"] },
  },
  {
    tool: "Prowler",
    id: "iam_role_cross_service_confused_deputy_prevention",
    checks: "service roles guard against the cross-service confused deputy",
    coverage: { policies: ["sec1-i-service-role-confused-deputy"] },
  },
  {
    tool: "Prowler",
    id: "wafv2_webacl_logging_enabled",
    checks: "web ACLs log",
    coverage: { policies: ["sec1-x-waf-logging"] },
  },
  {
    tool: "Prowler",
    id: "wafv2_webacl_with_rules",
    checks: "web ACLs have rules",
    coverage: { policies: ["sec1-x-waf-web-acl-rules"] },
  },

  // Pulumi AWSGuard (its API Gateway policies)
  {
    tool: "AWSGuard",
    id: "apigateway-endpoint-type-check",
    checks: "REST endpoint types are in an allowed set",
    coverage: { policies: ["sec1-e-rest-endpoint-type"] },
  },
  {
    tool: "AWSGuard",
    id: "apigateway-stage-cached",
    checks: "REST stages have a cache cluster",
    coverage: { outside: CACHING },
  },
  {
    tool: "AWSGuard",
    id: "apigateway-method-cached-and-encrypted",
    checks: "REST methods cache and encrypt responses",
    coverage: { outside: CACHING },
  },
];

/** Checks no peer makes, and the policies that make them. */
export const BEYOND_PEERS: { checks: string; policies: string[] }[] = [
  {
    checks:
      "JWT routes require OAuth scopes (otherwise every token of the audience passes, ID tokens included, and a machine client's token calls the users' routes)",
    policies: ["sec1-a-jwt-route-scopes", "sec1-a-jwt-route-machine-client"],
  },
  {
    checks: "AppSync Cognito providers name the app clients they accept (appIdClientRegex)",
    policies: ["sec1-a-appsync-cognito-client-regex"],
  },
  {
    checks: "REST APIs defined by an OpenAPI body, JSON or YAML: every operation authenticates",
    policies: ["sec1-a-openapi-body-security"],
  },
  {
    checks:
      "no identity policy may invoke a function behind an API directly (a direct call skips the authorizer)",
    policies: ["sec1-i-api-function-direct-invoke"],
  },
  {
    checks: "an AppSync AWS_IAM provider has a caller granted appsync:GraphQL in the stack",
    policies: ["sec1-a-appsync-iam-callers"],
  },
];

/**
 * Rows of the README's catalogue coverage for the checks the peer comparison added beyond the
 * numbered SEC1 catalogue (the check column is the practice letter only).
 */
export const PARITY_COVERAGE: { check: string; what: string; policies: string[] }[] = [
  {
    check: "A",
    what: "Which tokens pass: JWT routes require scopes (A; M where the audience admits a client_credentials machine client); AppSync Cognito providers name their app clients (A); REST Cognito methods on a pool of several clients require scopes (A); AppSync behind a Lambda authorizer only (A)",
    policies: [
      "sec1-a-jwt-route-scopes",
      "sec1-a-jwt-route-machine-client",
      "sec1-a-appsync-cognito-client-regex",
      "sec1-a-rest-cognito-client-scopes",
      "sec1-a-appsync-lambda-only-auth",
    ],
  },
  {
    check: "A",
    what: "User pool sign-in: MFA, threat protection, password policy (A); no self sign-up on workforce pools",
    policies: [
      "sec1-a-user-pool-mfa",
      "sec1-a-user-pool-threat-protection",
      "sec1-a-user-pool-password-policy",
      "sec1-a-user-pool-self-sign-up",
    ],
  },
  {
    check: "A",
    what: "An AppSync AWS_IAM provider has a caller granted in the stack; no appsync:GraphQL on every API (A)",
    policies: ["sec1-a-appsync-iam-callers"],
  },
  {
    check: "K",
    what: "No credentials in function environments or stage variables; secrets there (A)",
    policies: ["sec1-k-literal-credentials", "sec1-k-environment-secrets"],
  },
  {
    check: "E",
    what: "Function URL CORS: no credentials for every origin; any origin only on URLs public by design (A)",
    policies: ["sec1-e-function-url-cors-credentials", "sec1-e-function-url-cors-origins"],
  },
  {
    check: "I",
    what: "Service roles pinned to their source (confused deputy, A); no role any AWS principal may assume that reaches something; no direct invoke of a function behind an API (inline, customer or AWS managed grants)",
    policies: [
      "sec1-i-service-role-confused-deputy",
      "sec1-i-role-trust-any-principal",
      "sec1-i-api-function-direct-invoke",
    ],
  },
  {
    check: "X",
    what: "Web ACLs in front of APIs can block, and log",
    policies: ["sec1-x-waf-web-acl-rules", "sec1-x-waf-logging"],
  },
];
