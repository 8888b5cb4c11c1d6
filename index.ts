// The stack: reads the validated config, builds the components, exports outputs. Nothing else.
import { AppSyncApi } from "./components/appsync-api";
import { Function } from "./components/function";
import { HttpApi } from "./components/http-api";
import { Identity } from "./components/identity";
import { Network } from "./components/network";
import { LOYALTY_ROUTES, PrivateRestApi } from "./components/private-rest-api";
import { Table } from "./components/table";
import { APPSYNC_LOYALTY_CALLER, loadPlatformConfig } from "./config";

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
        },
      }),
  allowedSecurityGroupIds: config.endpointAllowedSecurityGroupIds,
  tags,
});

const identity = new Identity("identity", {
  identityProvider: config.identityProvider,
  cognitoDomainPrefix: config.cognitoDomainPrefix,
  cognitoCallbackUrls: config.cognitoCallbackUrls,
  cognitoLogoutUrls: config.cognitoLogoutUrls,
  cognitoMfa: config.cognitoMfa,
  oidcIssuer: config.oidcIssuer,
  oidcAudiences: config.oidcAudiences,
  oidcJwksUri: config.oidcJwksUri,
  protect,
  tags,
});

const loyaltyTable = new Table("loyalty", {
  partitionKey: { name: "customerId" },
  deletionProtection: protect,
  protect,
  tags,
});
const bookingsTable = new Table("bookings", {
  partitionKey: { name: "customerId" },
  sortKey: { name: "bookingId" },
  deletionProtection: protect,
  protect,
  tags,
});

// One item per credit's idempotency key (Powertools' record: partition key `id`), expired by TTL.
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
    ...idempotencyTable.grant(
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      "IdempotencyTable",
    ),
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
  routes: LOYALTY_ROUTES,
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
  environment: config.environment,
  authorizerMode: config.authorizerMode,
  issuerUrl: identity.issuerUrl,
  audiences: identity.audiences,
  scopes: identity.scopes,
  jwksUri: identity.jwksUri,
  handlers: { bookings: bookingsFunction },
  corsAllowOrigins: config.corsAllowOrigins,
  rateLimit: config.httpApiRateLimit,
  burstLimit: config.httpApiBurstLimit,
  routeThrottles: config.httpApiRouteThrottles,
  logRetentionDays: config.logRetentionDays,
  authorizerReservedConcurrency: config.reservedConcurrency.authorizer,
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
  bookings: { kind: "dynamodb", tableName: bookingsTable.tableName, tableArn: bookingsTable.arn },
  loyaltyApi: { restApiId: loyaltyApi.restApiId, stageName: loyaltyApi.stageName },
  // config.ts guarantees this caller exists: a Lambda service principal granted the read route.
  loyaltyInvokerRole: loyaltyApi.invokerRoles[APPSYNC_LOYALTY_CALLER],
  loyaltyApiKeyParameter: loyaltyApi.apiKeyParameter(APPSYNC_LOYALTY_CALLER),
  adminGroupsClaim: config.oidcGroupsClaim,
  vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [network.clientSecurityGroupId] },
  fieldLogLevel: config.appsyncFieldLogLevel,
  introspection: config.appsyncIntrospection,
  queryDepthLimit: config.appsyncQueryDepthLimit,
  wafEnabled: config.wafEnabled,
  wafRateLimit: config.wafRateLimit,
  logRetentionDays: config.logRetentionDays,
  reservedConcurrency: config.reservedConcurrency["loyalty-resolver"],
  protect,
  tags,
});

export const environment = config.environment;
export const vpcId = network.vpcId;
export const vpcEndpointId = network.vpcEndpointId;
export const identityIssuerUrl = identity.issuerUrl;
export const identityAudiences = identity.audiences;
export const identityScopes = identity.scopes;
/** Cognito only (undefined with an external OIDC issuer): what the apps sign in with. */
export const userPoolId = identity.userPoolId;
export const hostedUiUrl = identity.hostedUiUrl;
export const webClientId = identity.webClientId;
export const machineClientId = identity.machineClientId;
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
