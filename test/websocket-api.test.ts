// WebSocketApi: the authorized $connect, the ping-only $default, the connections table, the
// stage, the notifier and its permissions, as the program wires them for the airline, and the
// component's argument checks.
import * as assert from "assert";
import { LIVE_UPDATES } from "../app/airline/contract";
import { parsePlatformConfig } from "../config";
import {
  validateWebSocketApiArgs,
  WebSocketApi,
  WebSocketApiArgs,
  webSocketAccessLogFormat,
} from "../components/websocket-api";
import { parseWsAuthorizerEnv } from "../handlers/ws-authorizer";
import { mermaidDiagram } from "../tools/diagram";
import { registeredBeforeFailure } from "../tools/mock-engine";
import {
  one,
  ofType,
  policyDocument,
  ProgramRun,
  runComponents,
  runStack,
  stackConfig,
} from "./helpers/harness";

const ROUTE = "aws:apigatewayv2/route:Route";
const PERMISSION = "aws:lambda/permission:Permission";
const POLICY = "aws:iam/rolePolicy:RolePolicy";

const statementsOf = (run: ProgramRun, policyName: string) =>
  policyDocument(one(run, POLICY, policyName).inputs.policy).Statement;

const actionsOf = (statements: any[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** Valid args for the component alone (fake issuer and stream). */
const ARGS: WebSocketApiArgs = {
  issuerUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123",
  audiences: ["client-1"],
  scopes: { read: "app/read" },
  requiredScopes: ["read"],
  subprotocol: "app.v1",
  stageName: "live",
  rateLimit: 10,
  burstLimit: 20,
  connectionTtlHours: 3,
  logRetentionDays: 7,
};

describe("WebSocketApi (the dev stack's live-updates)", () => {
  let run: ProgramRun;
  let apiId: string;
  let execArn: string;
  before(async () => {
    run = await runStack("dev");
    const api = one(run, "aws:apigatewayv2/api:Api", "live-updates-api");
    apiId = String(api.id);
    execArn = String(api.wireOutputs.executionArn);
  });

  it("is a WebSocket API whose only authorized route is $connect, with its REQUEST authorizer", () => {
    const api = one(run, "aws:apigatewayv2/api:Api", "live-updates-api");
    assert.strictEqual(api.inputs.protocolType, "WEBSOCKET");
    const routes = ofType(run, ROUTE).filter((r) => r.name.startsWith("live-updates-"));
    const byKey = Object.fromEntries(routes.map((r) => [r.inputs.routeKey, r.inputs]));
    assert.deepStrictEqual(Object.keys(byKey).sort(), ["$connect", "$default", "$disconnect"]);
    const authorizer = one(
      run,
      "aws:apigatewayv2/authorizer:Authorizer",
      "live-updates-authorizer",
    );
    assert.strictEqual(byKey.$connect.authorizationType, "CUSTOM");
    assert.strictEqual(byKey.$connect.authorizerId, authorizer.id);
    assert.strictEqual(authorizer.inputs.authorizerType, "REQUEST");
    assert.strictEqual(authorizer.inputs.apiId, apiId);
    // The cache key is the token's header, and only it.
    assert.deepStrictEqual(authorizer.inputs.identitySources, [
      "route.request.header.Sec-WebSocket-Protocol",
    ]);
    assert.strictEqual(byKey.$default.routeResponseSelectionExpression, "$default");
    const response = one(
      run,
      "aws:apigatewayv2/routeResponse:RouteResponse",
      "live-updates-default-response",
    );
    assert.strictEqual(response.inputs.routeResponseKey, "$default");
  });

  it("lets API Gateway invoke the functions only through this authorizer and these routes", () => {
    const permissions = ofType(run, PERMISSION).filter((p) => p.name.startsWith("live-updates-"));
    const authorizer = one(
      run,
      "aws:apigatewayv2/authorizer:Authorizer",
      "live-updates-authorizer",
    );
    const arns = Object.fromEntries(permissions.map((p) => [p.name, p.inputs.sourceArn]));
    assert.deepStrictEqual(arns, {
      "live-updates-authorizer-invoke": `${execArn}/authorizers/${authorizer.id}`,
      "live-updates-connect-invoke": `${execArn}/live/$connect`,
      "live-updates-disconnect-invoke": `${execArn}/live/$disconnect`,
      "live-updates-default-invoke": `${execArn}/live/$default`,
    });
  });

  it("gives the authorizer the issuer, the clients, the required scope and the subprotocol", () => {
    const fn = one(run, "aws:lambda/function:Function", "live-updates-authorizer-function");
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const settings = parseWsAuthorizerEnv(env);
    assert.deepStrictEqual(settings.requiredScopes, ["airline/bookings.read"]);
    assert.strictEqual(settings.subprotocol, LIVE_UPDATES.subprotocol);
    assert.match(settings.issuers[0].issuer, /^https:\/\/cognito-idp\./);
    assert.ok(settings.issuers[0].cognitoUserPoolId, "Cognito rules: access tokens only");
  });

  it("lets only the notifier post, and only to this API's stage's @connections", () => {
    const notifier = statementsOf(run, "live-updates-notifier-policy");
    const post = notifier.filter((s) => actionsOf([s]).includes("execute-api:ManageConnections"));
    assert.strictEqual(post.length, 1);
    const [account, region] = [execArn.split(":")[4], execArn.split(":")[3]];
    assert.deepStrictEqual(
      post[0].Resource,
      `arn:aws:execute-api:${region}:${account}:${apiId}/live/POST/@connections/*`,
    );
    for (const other of ["live-updates-routes-policy", "live-updates-authorizer-policy"])
      assert.ok(
        !actionsOf(statementsOf(run, other)).some((a) => a.startsWith("execute-api:")),
        `${other} must not reach @connections`,
      );
    const routesActions = actionsOf(statementsOf(run, "live-updates-routes-policy"));
    assert.deepStrictEqual(routesActions.filter((a) => a.startsWith("dynamodb:")).sort(), [
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
    ]);
  });

  it("reads the bookings stream with partial-failure reporting and the stream permissions", () => {
    const bookings = one(run, "aws:dynamodb/table:Table", "bookings-table");
    assert.strictEqual(bookings.inputs.streamEnabled, true);
    assert.strictEqual(bookings.inputs.streamViewType, "NEW_IMAGE");
    const streamArn = String(bookings.wireOutputs.streamArn);
    const mapping = one(run, "aws:lambda/eventSourceMapping:EventSourceMapping");
    assert.strictEqual(mapping.inputs.eventSourceArn, streamArn);
    assert.deepStrictEqual(mapping.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
    const read = statementsOf(run, "live-updates-notifier-policy").find(
      (s) => s.Sid === "ReadStream",
    );
    assert.strictEqual(read.Resource, streamArn);
  });

  it("keeps connections with their sub and a TTL, indexed by sub", () => {
    const table = one(run, "aws:dynamodb/table:Table", "live-updates-connections-table");
    assert.strictEqual(table.inputs.hashKey, "connectionId");
    assert.deepStrictEqual(table.inputs.ttl, { attributeName: "expiresAt", enabled: true });
    const [index] = table.inputs.globalSecondaryIndexes as { name: string; hashKey: string }[];
    assert.strictEqual(index.hashKey, "sub");
    const fn = one(run, "aws:lambda/function:Function", "live-updates-routes-function");
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    assert.strictEqual(env.CONNECTION_TTL_SECONDS, String(3 * 3600));
  });

  it("throttles the stage and logs access without any header, query string or message", () => {
    const stage = one(run, "aws:apigatewayv2/stage:Stage", "live-updates-stage");
    const settings = stage.inputs.defaultRouteSettings as Record<string, unknown>;
    assert.strictEqual(settings.throttlingRateLimit, 20);
    assert.strictEqual(settings.throttlingBurstLimit, 40);
    assert.strictEqual(settings.dataTraceEnabled, false);
    const logs = stage.inputs.accessLogSettings as { destinationArn: string; format: string };
    const group = one(run, "aws:cloudwatch/logGroup:LogGroup", "live-updates-access-logs");
    assert.strictEqual(logs.destinationArn, group.arn);
    assert.strictEqual(logs.format, webSocketAccessLogFormat());
    assert.doesNotMatch(logs.format, /header|querystring|body|request\.|Sec-WebSocket/i);
    assert.match(logs.format, /\$context\.authorizer\.principalId/);
    const deployment = one(
      run,
      "aws:apigatewayv2/deployment:Deployment",
      "live-updates-deployment",
    );
    assert.strictEqual(stage.inputs.deploymentId, deployment.id);
    assert.match(String((deployment.inputs.triggers as any).redeployment), /^[0-9a-f]{64}$/);
  });
});

describe("WebSocketApi in the diagram", () => {
  it("draws the bookings stream into the notifier and the notifier posting to its own API only", async () => {
    const run = await runStack("dev");
    const text = mermaidDiagram(run);
    const id = (label: RegExp) => {
      const line = text.split("\n").find((l) => label.test(l));
      assert.ok(line, `no node ${label}`);
      return line.trim().split(/[[({"]/)[0];
    };
    const notifier = id(/λ live-updates-notifier-function/);
    const api = id(/subgraph .*WEBSOCKET API live-updates-api/).replace("subgraph ", "");
    const bookings = id(/DynamoDB bookings-table/);
    assert.ok(text.includes(`${bookings} -->|"stream"| ${notifier}`), "stream edge");
    const posts = text.split("\n").filter((l) => l.includes("POST @connections"));
    assert.deepStrictEqual(posts, [`  ${notifier} -->|"POST @connections (own stage)"| ${api}`]);
  });
});

describe("WebSocketApi arguments", () => {
  it("accepts the example args", () => assert.deepStrictEqual(validateWebSocketApiArgs(ARGS), []));

  it("names every bad field at once", () => {
    const problems = validateWebSocketApiArgs({
      ...ARGS,
      subprotocol: "two words",
      stageName: "$default",
      rateLimit: 0,
      connectionTtlHours: 1,
      requiredScopes: ["write"],
      issuerUrl: "http://issuer.example.com",
      notifications: { streamArn: "arn", ownerAttribute: "" },
    });
    for (const field of [
      "subprotocol",
      "stageName",
      "rateLimit",
      "connectionTtlHours",
      "requiredScopes",
      "issuerUrl",
      "notifications.ownerAttribute",
    ])
      assert.ok(
        problems.some((p) => p.startsWith(field)),
        `${field}: ${problems.join("; ")}`,
      );
  });

  it("refuses no required scope (any token of the issuer would connect)", () =>
    assert.match(
      validateWebSocketApiArgs({ ...ARGS, requiredScopes: [] }).join(),
      /requiredScopes/,
    ));

  it("registers none of its resources when the args are bad", async () => {
    const failure = await runComponents(() => {
      new WebSocketApi("ws", { ...ARGS, stageName: "" });
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(failure, "the run fails");
    assert.match(String(failure), /stageName/);
    const registered = registeredBeforeFailure(failure) ?? [];
    assert.deepStrictEqual(
      registered.filter((r) => r.name.startsWith("ws-")).map((r) => r.name),
      [],
    );
  });
});

describe("webSocket config", () => {
  it("switched off: no WebSocket API, no notifier, no stream on bookings", async () => {
    const run = await runStack("dev", { webSocket: { enabled: false } });
    assert.deepStrictEqual(ofType(run, "sec1:api:WebSocketApi"), []);
    assert.deepStrictEqual(ofType(run, "aws:lambda/eventSourceMapping:EventSourceMapping"), []);
    assert.strictEqual(
      one(run, "aws:dynamodb/table:Table", "bookings-table").inputs.streamEnabled,
      undefined,
    );
  });

  it("names the key and what was expected", () => {
    const problems = (overrides: Record<string, unknown>) => {
      try {
        parsePlatformConfig(stackConfig("dev", { webSocket: { enabled: true, ...overrides } }));
        return "";
      } catch (err) {
        return String(err);
      }
    };
    assert.match(problems({ connectionTtlHours: 48 }), /webSocket\.connectionTtlHours: Too big/);
    assert.match(
      problems({ rateLimit: 50, burstLimit: 10 }),
      /webSocket\.burstLimit: must be at least webSocket\.rateLimit/,
    );
    assert.strictEqual(problems({}), "");
  });
});
