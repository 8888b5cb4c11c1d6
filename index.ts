// The stack: reads the validated config and the airline's app contract, builds the components,
// exports outputs. Nothing else.
import * as pulumi from "@pulumi/pulumi";
import {
  API_SCOPES,
  BOOKINGS_API,
  callerRuleFor,
  GRAPHQL_API,
  LOYALTY_API,
  LIVE_UPDATES,
  LOYALTY_RESOLVER_CALLER,
} from "./app/airline/contract";
import { AppSyncApi } from "./components/appsync-api";
import { Function } from "./components/function";
import { HttpApi } from "./components/http-api";
import { Identity } from "./components/identity";
import { IdentityPool } from "./components/identity-pool";
import { Network } from "./components/network";
import { PrivateRestApi } from "./components/private-rest-api";
import { Table } from "./components/table";
import { WebSocketApi } from "./components/websocket-api";
import { loadPlatformConfig } from "./config";

// Validated before anything is registered: bad config fails here with every bad key listed.
const config = loadPlatformConfig();
const tags = { ...config.tags, environment: config.environment };
const protect = config.protectResources;

const network = new Network("network", {
  ...(config.vpcMode === "create"
    ? {
        create: {
          cidrBlock: config.vpcCidrBlock,
          availabilityZoneCount: config.availabilityZoneCount,
          natGateways: config.natGateways,
        },
      }
    : {
        existing: {
          vpcId: config.existingVpcId as string,
          privateSubnetIds: config.existingPrivateSubnetIds as string[],
          executeApiEndpointId: config.existingExecuteApiEndpointId,
        },
      }),
  executeApiPrivateDns: config.executeApiPrivateDns,
  allowedSecurityGroupIds: config.endpointAllowedSecurityGroupIds,
  ssmEndpoint: config.ssmEndpoint,
  tags,
});

const identity = new Identity("identity", {
  identityProvider: config.identityProvider,
  apiScopes: API_SCOPES,
  cognitoDomainPrefix: config.cognitoDomainPrefix,
  cognitoCallbackUrls: config.cognitoCallbackUrls,
  cognitoLogoutUrls: config.cognitoLogoutUrls,
  cognitoMfa: config.cognitoMfa,
  identityProviders: config.identityProviders,
  localUsers: config.cognitoLocalUsers,
  oidcIssuer: config.oidcIssuer,
  oidcAudiences: config.oidcAudiences,
  oidcJwksUri: config.oidcJwksUri,
  protect,
  tags,
});

// Travellers' own S3 folders, with credentials from an identity pool over the user pool's web
// client (config.ts refuses it without a user pool).
const identityPool =
  config.identityPool.enabled && identity.userPool
    ? new IdentityPool("identity-pool", {
        userPoolEndpoint: identity.userPool.endpoint,
        webClientId: identity.webClientId as NonNullable<typeof identity.webClientId>,
        guestRole: config.identityPool.guestRole,
        groupRoles: config.identityPool.groupRoles,
        allowedOrigins: config.corsAllowOrigins,
        documentRetentionDays: config.identityPool.documentRetentionDays,
        boardingPassRetentionDays: config.identityPool.boardingPassRetentionDays,
        protect,
        tags,
      })
    : undefined;

const loyaltyTable = new Table("loyalty", {
  partitionKey: { name: "customerId" },
  deletionProtection: protect,
  protect,
  tags,
});
const bookingsTable = new Table("bookings", {
  partitionKey: { name: "customerId" },
  sortKey: { name: "bookingId" },
  // Changes stream to the live-updates notifier (new image: what the traveller is shown).
  stream: config.webSocket.enabled ? "NEW_IMAGE" : undefined,
  deletionProtection: protect,
  protect,
  tags,
});

// One item per credit's idempotency key (partition key `id`), expired by TTL after the key's
// retry window (handlers/loyalty/credits.ts).
const idempotencyTable = new Table("loyalty-idempotency", {
  partitionKey: { name: "id" },
  ttlAttribute: "expiration",
  deletionProtection: protect,
  protect,
  tags,
});

const loyaltyFunction = new Function("loyalty", {
  handler: "loyalty",
  description: "Loyalty points and tier, behind the private REST API (AWS_IAM)",
  logRetentionDays: config.logRetentionDays,
  environment: {
    LOYALTY_TABLE_NAME: loyaltyTable.tableName,
    IDEMPOTENCY_TABLE_NAME: idempotencyTable.tableName,
  },
  statements: [
    ...loyaltyTable.grant(["dynamodb:GetItem", "dynamodb:UpdateItem"], "LoyaltyTable"),
    ...idempotencyTable.grant(["dynamodb:GetItem", "dynamodb:UpdateItem"], "IdempotencyTable"),
  ],
  reservedConcurrency: config.reservedConcurrency.loyalty,
  protect,
  tags,
});
const bookingsFunction = new Function("bookings", {
  handler: "bookings",
  description: "Bookings of the signed-in customer, behind the public HTTP API (JWT)",
  logRetentionDays: config.logRetentionDays,
  environment: { BOOKINGS_TABLE_NAME: bookingsTable.tableName },
  statements: bookingsTable.grant(
    ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
    "BookingsTable",
  ),
  reservedConcurrency: config.reservedConcurrency.bookings,
  protect,
  tags,
});

const loyaltyApi = new PrivateRestApi("loyalty-api", {
  description: LOYALTY_API.description,
  routes: LOYALTY_API.routes,
  target: loyaltyFunction,
  vpcEndpointId: network.vpcEndpointId,
  stageName: config.privateApiStageName,
  throttle: { rateLimit: config.privateApiRateLimit, burstLimit: config.privateApiBurstLimit },
  loggingLevel: config.privateApiLoggingLevel,
  dataTraceEnabled: config.privateApiDataTrace,
  manageAccountCloudWatchRole: config.manageApiGatewayAccount,
  logRetentionDays: config.logRetentionDays,
  callers: config.internalCallers,
  usagePlans: config.usagePlans,
  protect,
  tags,
});

const bookingsApi = new HttpApi("bookings-api", {
  description: BOOKINGS_API.description,
  routes: BOOKINGS_API.routes,
  authorizerMode: config.authorizerMode,
  issuerUrl: identity.issuerUrl,
  audiences: identity.audiences,
  scopes: identity.scopes,
  jwksUri: identity.jwksUri,
  handlers: { bookings: bookingsFunction },
  corsAllowOrigins: config.corsAllowOrigins,
  allowWildcardOrigin: config.posture === "development",
  corsAllowHeaders: BOOKINGS_API.corsAllowHeaders,
  corsExposeHeaders: BOOKINGS_API.corsExposeHeaders,
  rateLimit: config.httpApiRateLimit,
  burstLimit: config.httpApiBurstLimit,
  routeThrottles: config.httpApiRouteThrottles,
  logRetentionDays: config.logRetentionDays,
  authorizerReservedConcurrency: config.reservedConcurrency.authorizer,
  protect,
  tags,
});

// Who may call which operation, one rule for the GraphQL resolvers (APPSYNC_JS and Lambda):
// the token kind, each field's scopes (those of its HTTP route), and admins only from the
// configured groups claim of the stack's own issuer.
const callerRule = pulumi.all([identity.issuerUrl, identity.scopes]).apply(([issuer, scopes]) =>
  callerRuleFor({
    provider: config.identityProvider,
    issuer,
    oidcGroupsClaim: config.oidcGroupsClaim,
    scopes,
  }),
);

// The GraphQL loyalty resolver runs as the invoker role of its caller (config.ts guarantees the
// caller exists: a Lambda service principal granted the read route), in the private subnets,
// where the execute-api endpoint's private DNS resolves the API's default host name.
const loyaltyKey = loyaltyApi.apiKeyParameter(LOYALTY_RESOLVER_CALLER.name);
const loyaltyResolver = new Function("loyalty-resolver", {
  handler: "loyalty-resolver",
  description: "GraphQL loyalty resolver calling the private loyalty API with SigV4",
  logRetentionDays: config.logRetentionDays,
  role: loyaltyApi.invokerRoles[LOYALTY_RESOLVER_CALLER.name],
  reservedConcurrency: config.reservedConcurrency["loyalty-resolver"],
  vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [network.clientSecurityGroupId] },
  environment: {
    // The API's default URL with the endpoint's private DNS, else the endpoint-specific host.
    LOYALTY_API_URL: network.invokeUrlFor(loyaltyApi),
    // The usage plan's key (a quota, not identity: the SigV4 signature is the identity) is read
    // from Parameter Store at cold start, never kept in the function's configuration.
    LOYALTY_API_KEY_PARAMETER: loyaltyKey.name,
    // Admins: cognito:groups with the user pool; with an external IdP only the claim config
    // names (none: no admins), since its `groups` means what that IdP says it means.
    CALLER_RULE: pulumi.jsonStringify(callerRule),
    LOYALTY_TIMEOUT_MS: "3000",
  },
  statements: [
    {
      Sid: "ReadUsagePlanKey",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: loyaltyKey.arn,
    },
  ],
  // Whoever may iam:PassRole the invoker role cannot invoke the API from another function.
  exclusiveRoleActions: ["execute-api:Invoke"],
  timeout: 10,
  protect,
  tags,
});

const graphql = new AppSyncApi("graphql", {
  identity:
    config.identityProvider === "cognito"
      ? {
          kind: "cognito",
          userPoolId: identity.userPoolId as NonNullable<typeof identity.userPoolId>,
          region: identity.region,
          appIdClientRegex: identity.webClientId,
        }
      : { kind: "oidc", issuer: identity.issuerUrl, audiences: identity.audiences },
  schemaFile: GRAPHQL_API.schemaFile,
  dataSources: {
    loyalty: {
      kind: "lambda",
      functionArn: loyaltyResolver.arn,
      description: "Loyalty from the private REST API, through the resolver in the VPC",
    },
    bookings: {
      kind: "dynamodb",
      tableName: bookingsTable.tableName,
      tableArn: bookingsTable.arn,
      actions: GRAPHQL_API.bookingsTableActions,
      description: "Bookings, keyed by customer (the caller's sub)",
    },
  },
  resolvers: GRAPHQL_API.resolvers,
  resolverConstants: { CALLER_RULE: callerRule },
  fieldLogLevel: config.appsyncFieldLogLevel,
  introspection: config.appsyncIntrospection,
  queryDepthLimit: config.appsyncQueryDepthLimit,
  wafEnabled: config.wafEnabled,
  wafRateLimit: config.wafRateLimit,
  logRetentionDays: config.logRetentionDays,
  protect,
  tags,
});

// Live booking updates: a signed-in traveller's connections get each change of their own
// bookings (the bookings table is keyed by customerId, the traveller's sub).
const liveUpdates = config.webSocket.enabled
  ? new WebSocketApi("live-updates", {
      description: LIVE_UPDATES.description,
      issuerUrl: identity.issuerUrl,
      audiences: identity.audiences,
      jwksUri: identity.jwksUri,
      scopes: identity.scopes,
      requiredScopes: LIVE_UPDATES.requiredScopes,
      subprotocol: LIVE_UPDATES.subprotocol,
      stageName: config.webSocket.stageName,
      rateLimit: config.webSocket.rateLimit,
      burstLimit: config.webSocket.burstLimit,
      connectionTtlHours: config.webSocket.connectionTtlHours,
      logRetentionDays: config.logRetentionDays,
      notifications: {
        streamArn: bookingsTable.streamArn as NonNullable<typeof bookingsTable.streamArn>,
        ownerAttribute: LIVE_UPDATES.ownerAttribute,
        attributes: LIVE_UPDATES.attributes,
      },
      protect,
      tags,
    })
  : undefined;

export const environment = config.environment;
export const vpcId = network.vpcId;
export const vpcEndpointId = network.vpcEndpointId;
export const executeApiPrivateDns = network.executeApiPrivateDns;
export const identityIssuerUrl = identity.issuerUrl;
export const identityAudiences = identity.audiences;
export const identityScopes = identity.scopes;
/** Cognito only (undefined with an external OIDC issuer): what the apps sign in with. */
export const userPoolId = identity.userPoolId;
export const hostedUiUrl = identity.hostedUiUrl;
export const webClientId = identity.webClientId;
export const machineClientId = identity.machineClientId;
/** The federated providers the web client offers (names for the hosted UI's identity_provider). */
export const identityProviderNames = identity.identityProviderNames;
/** With identityPool enabled: what the web app calls GetId / GetCredentialsForIdentity with. */
export const identityPoolId = identityPool?.identityPoolId;
export const identityPoolAuthenticatedRoleArn = identityPool?.authenticatedRoleArn;
export const identityPoolGuestRoleArn = identityPool?.guestRoleArn;
export const documentsBucketName = identityPool?.bucketName;
/** With webSocket enabled: what the web app opens (wss://), with its subprotocol and token. */
export const liveUpdatesUrl = liveUpdates?.url;
export const liveUpdatesApiId = liveUpdates?.apiId;
export const bookingsApiUrl = bookingsApi.url;
export const bookingsApiId = bookingsApi.apiId;
export const graphqlUrl = graphql.graphqlUrl;
export const graphqlApiId = graphql.apiId;
export const privateApiUrl = loyaltyApi.invokeUrl;
export const privateApiId = loyaltyApi.restApiId;
export const privateApiInvokerRoleArns = loyaltyApi.invokerRoleArns;
export const privateApiUsagePlanIds = loyaltyApi.usagePlanIds;
/** Generated by API Gateway; secret. For quotas only: callers still sign every call with SigV4. */
export const privateApiKeyValues = loyaltyApi.apiKeyValues;
export const loyaltyTableName = loyaltyTable.tableName;
export const bookingsTableName = bookingsTable.tableName;
