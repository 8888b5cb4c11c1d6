/**
 * An example of another team's program on the platform's components: the inventory service, with
 * one public route (`GET /items`, JWT with the `inventory.read` scope) and one private method
 * (`PUT /items/{sku}/stock`, AWS_IAM through the team's execute-api VPC endpoint) that only the
 * warehouse batch job's role may call, and a WebSocket API on which a signed-in shopper hears
 * when an item they asked about is back in stock (their own alerts only). Its app data (routes,
 * scopes, body schema, caller, tier, the alerts' owner attribute) is written here; the components come from the platform unchanged. The tests preview it offline
 * through the SEC1 pack.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Function } from "../../components/function";
import { HttpApi } from "../../components/http-api";
import { Network } from "../../components/network";
import { PrivateRestApi } from "../../components/private-rest-api";
import { Table } from "../../components/table";
import { WebSocketApi } from "../../components/websocket-api";

const config = new pulumi.Config();
const tags = { team: "inventory", environment: pulumi.getStack() };

const network = new Network("inventory-network", {
  existing: {
    vpcId: config.require("vpcId"),
    privateSubnetIds: config.requireObject<string[]>("privateSubnetIds"),
  },
  // The team's own VPC, where nothing calls public API Gateway host names: private DNS on.
  executeApiPrivateDns: true,
  tags,
});

// One back-in-stock alert per shopper and SKU (partition key: the shopper's sub); a stock update
// marks the SKU's alerts, and the stream carries each change to that shopper's connections.
const alerts = new Table("stock-alerts", {
  partitionKey: { name: "shopperId" },
  sortKey: { name: "sku" },
  stream: "NEW_IMAGE",
  deletionProtection: false,
  tags,
});

const inventory = new Function("inventory", {
  handler: "inventory",
  entry: path.join(__dirname, "handler", "index.ts"),
  description: "Inventory: items for the shop, stock updates from the warehouse",
  logRetentionDays: 30,
  environment: { ALERTS_TABLE_NAME: alerts.tableName },
  statements: alerts.grant(["dynamodb:Query", "dynamodb:UpdateItem"], "StockAlerts"),
  tags,
});

const publicApi = new HttpApi("inventory-api", {
  description: "Inventory for the shop (JWT)",
  routes: [{ method: "GET", path: "/items", handler: "inventory", scopes: ["inventory.read"] }],
  authorizerMode: "jwt",
  issuerUrl: config.require("oidcIssuer"),
  audiences: ["api://inventory"],
  scopes: { "inventory.read": "inventory.read" },
  handlers: { inventory },
  corsAllowOrigins: [],
  rateLimit: 20,
  burstLimit: 40,
  logRetentionDays: 30,
  tags,
});

const stockApi = new PrivateRestApi("stock-api", {
  description: "Stock updates from the warehouse (SigV4 only)",
  routes: [
    {
      route: "PUT /items/{sku}/stock",
      bodySchema: {
        $schema: "http://json-schema.org/draft-04/schema#",
        type: "object",
        properties: { stock: { type: "integer", minimum: 0 } },
        required: ["stock"],
        additionalProperties: false,
      },
    },
  ],
  target: inventory,
  vpcEndpointId: network.vpcEndpointId,
  stageName: "v1",
  throttle: { rateLimit: 5, burstLimit: 10 },
  loggingLevel: "ERROR",
  dataTraceEnabled: false,
  logRetentionDays: 30,
  // The platform's stack already sets the region's API Gateway logging role.
  manageAccountCloudWatchRole: false,
  callers: [
    {
      name: "warehouse-batch",
      principal: { roleArn: config.require("warehouseRoleArn") },
      routes: ["PUT /items/{sku}/stock"],
      usagePlan: "warehouse",
    },
  ],
  usagePlans: [
    { name: "warehouse", rateLimit: 5, burstLimit: 10, quota: { limit: 10000, period: "DAY" } },
  ],
  tags,
});

const stockAlerts = new WebSocketApi("stock-alerts", {
  description: "Back-in-stock alerts for signed-in shoppers",
  issuerUrl: config.require("oidcIssuer"),
  audiences: ["api://inventory"],
  scopes: { "inventory.read": "inventory.read" },
  requiredScopes: ["inventory.read"],
  subprotocol: "inventory.alerts.v1",
  stageName: "live",
  rateLimit: 10,
  burstLimit: 20,
  connectionTtlHours: 2,
  logRetentionDays: 30,
  notifications: {
    streamArn: alerts.streamArn as NonNullable<typeof alerts.streamArn>,
    ownerAttribute: "shopperId",
    attributes: ["inStock"],
  },
  tags,
});

export const inventoryUrl = publicApi.url;
export const stockAlertsUrl = stockAlerts.url;
export const stockApiUrl = stockApi.invokeUrl;
export const warehouseRoleArn = stockApi.invokerRoleArns;
