/**
 * The test harness (helpers/run-policy.ts) against the SDK's own analyzer server functions
 * (node_modules/@pulumi/policy/server.js): the same policies over the same resources must give
 * the same violations, the same not-applicable entries and the same preview advisories. This is
 * what lets every other test of the pack trust a direct call.
 */
import * as assert from "node:assert";
import {
  Policies,
  Policy,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
  validateStackResourcesOfType,
} from "@pulumi/policy";
import * as aws from "@pulumi/aws";
import { allPolicies } from "../policies";
import { TYPES } from "../lib/stack-refs";
import { validateEachType } from "../lib/typed-validation";
import {
  PolicyRun,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

// Internal modules of the SDK (no typings): the server's RPC functions and its wire types.
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun(...a: unknown[]): (call: unknown, cb: (e: unknown, r: unknown) => void) => void;
  makeAnalyzeStackRpcFun(
    ...a: unknown[]
  ): (call: unknown, cb: (e: unknown, r: unknown) => void) => void;
};
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require(
  require.resolve("google-protobuf/google/protobuf/struct_pb", {
    paths: [require.resolve("@pulumi/pulumi")],
  }),
);

interface WireResponse {
  getDiagnosticsList(): { getPolicyname(): string; getMessage(): string; getUrn(): string }[];
  getNotApplicableList(): { getPolicyName(): string; getReason(): string }[];
}

/**
 * What the server answered for one policy, in the harness's shape: the server prefixes each
 * violation with the policy's description and words preview advisories as "can't run policy ...
 * during preview: <the SDK's message>".
 */
function fromWire(response: WireResponse, policy: Policy): PolicyRun {
  const run: PolicyRun = { violations: [], notApplicable: [], previewErrors: [] };
  for (const d of response.getDiagnosticsList()) {
    if (d.getPolicyname() !== policy.name) continue;
    const text = d.getMessage();
    const preview = /^can't run policy .* during preview: ([\s\S]*)$/.exec(text);
    if (preview) {
      run.previewErrors.push(preview[1]);
      continue;
    }
    const message = text.startsWith(`${policy.description}\n`)
      ? text.slice(policy.description.length + 1)
      : text;
    run.violations.push(d.getUrn() ? { message, urn: d.getUrn() } : { message });
  }
  for (const n of response.getNotApplicableList()) {
    if (n.getPolicyName() === policy.name) run.notApplicable.push(n.getReason());
  }
  return run;
}

function call(
  fn: (call: unknown, cb: (e: unknown, r: unknown) => void) => void,
  request: unknown,
): Promise<WireResponse> {
  return new Promise((resolve, reject) =>
    fn({ request }, (err, response) => (err ? reject(err) : resolve(response as WireResponse))),
  );
}

async function serverAnalyze(
  policy: ResourceValidationPolicy,
  resource: { type: string; name: string; props: Record<string, unknown> },
): Promise<PolicyRun> {
  const req = new pb.AnalyzeRequest();
  req.setType(resource.type);
  req.setName(resource.name);
  req.setUrn(urnOf(resource.type, resource.name));
  req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(resource.props))));
  req.setOptions(new pb.AnalyzerResourceOptions());
  const analyze = server.makeAnalyzeRpcFun("harness", "0.0.1", "advisory", [policy]);
  return fromWire(await call(analyze, req), policy);
}

async function serverAnalyzeStack(
  policy: StackValidationPolicy,
  resources: StackResourceInput[],
): Promise<PolicyRun> {
  const req = new pb.AnalyzeStackRequest();
  req.setResourcesList(
    resources.map((r) => {
      const w = new pb.AnalyzerResource();
      w.setType(r.type);
      w.setName(r.name);
      w.setUrn(r.urn ?? urnOf(r.type, r.name ?? ""));
      w.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
      w.setOptions(new pb.AnalyzerResourceOptions());
      for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
        const deps = new pb.AnalyzerPropertyDependencies();
        deps.setUrnsList(urns);
        w.getPropertydependenciesMap().set(k, deps);
      }
      return w;
    }),
  );
  const analyzeStack = server.makeAnalyzeStackRpcFun("harness", "0.0.1", "advisory", [policy]);
  return fromWire(await call(analyzeStack, req), policy);
}

const method = (props: Record<string, unknown>) => ({
  type: TYPES.restMethod,
  name: "m",
  props: { restApi: "a1b2c3d4e5", resourceId: "r", httpMethod: "GET", ...props },
});
const role = { type: "aws:iam/role:Role", name: "r", props: { assumeRolePolicy: "{}" } };

/** Odd shapes a policy may take: each is a case the server treats in its own way. */
const shapes: ResourceValidationPolicy[] = [
  {
    name: "array-of-typed",
    description: "An array of validateResourceOfType: every member runs.",
    validateResource: [
      validateResourceOfType(aws.apigateway.Method, (_m, _a, report) => report("method")),
      validateResourceOfType(aws.iam.Role, (_r, _a, report) => report("role")),
    ],
  },
  {
    name: "array-touching-unknown",
    description: "An array whose first member touches an unknown value.",
    validateResource: [
      validateResourceOfType(aws.apigateway.Method, (m, _a, report) => {
        if (m.authorization === "NONE") report("open");
      }),
      validateResourceOfType(aws.apigateway.Method, (_m, _a, report) => report("second")),
    ],
  },
  {
    name: "untyped",
    description: "One function without a type: always called.",
    validateResource: (args, report) =>
      args.type === TYPES.restMethod ? report("seen") : args.notApplicable("not a method"),
  },
  {
    name: "each-type",
    description: "Our dispatcher.",
    validateResource: validateEachType(
      validateResourceOfType(aws.apigateway.Method, (_m, _a, report) => report("method")),
      validateResourceOfType(aws.iam.Role, (_r, _a, report) => report("role")),
    ),
  },
];

const resourcePolicies = (allPolicies as Policies).filter(
  (p): p is ResourceValidationPolicy => "validateResource" in p,
);

describe("test harness = the SDK's analyzer server", () => {
  const resources = [
    method({ authorization: "NONE" }),
    method({ authorization: UNKNOWN }),
    method({ authorization: "AWS_IAM", httpMethod: "POST" }),
    role,
  ];

  it("gives the server's verdicts for every shape of validateResource", async () => {
    for (const policy of shapes) {
      for (const r of resources) {
        assert.deepStrictEqual(
          await runResourcePolicy(policy, r),
          await serverAnalyze(policy, r),
          `${policy.name} on ${JSON.stringify(r.props)}`,
        );
      }
    }
  });

  it("keeps every not-applicable entry of an array, even when another member applied", async () => {
    const run = await runResourcePolicy(shapes[0], role);
    assert.deepStrictEqual(run.violations, [{ message: "role" }]);
    assert.strictEqual(run.notApplicable.length, 1);
  });

  it("gives the server's verdicts for every policy of the pack", async () => {
    for (const policy of resourcePolicies) {
      for (const r of resources) {
        assert.deepStrictEqual(
          await runResourcePolicy(policy, r),
          await serverAnalyze(policy, r),
          policy.name,
        );
      }
    }
  });

  it("skips a typed stack validation when the stack has no resource of its type", async () => {
    const typed: StackValidationPolicy = {
      name: "typed-stack",
      description: "Looks at routes only.",
      validateStack: validateStackResourcesOfType(aws.apigatewayv2.Route, (routes, _a, report) =>
        report(`${routes.length} routes`),
      ),
    };
    const withRoute: StackResourceInput[] = [
      { type: TYPES.httpRoute, name: "r", props: { apiId: "x", routeKey: "GET /" } },
    ];
    for (const stack of [[role as StackResourceInput], withRoute]) {
      assert.deepStrictEqual(
        await runStackPolicy(typed, stack),
        await serverAnalyzeStack(typed, stack),
      );
    }
  });

  it("gives the server's verdicts for a stack policy with property dependencies", async () => {
    const api = urnOf(TYPES.httpApi, "api");
    const stack: StackResourceInput[] = [
      { type: TYPES.httpApi, name: "api", props: { protocolType: "HTTP" } },
      {
        type: TYPES.httpRoute,
        name: "open",
        props: { apiId: UNKNOWN, routeKey: "GET /items" },
        propertyDependencies: { apiId: [api] },
      },
    ];
    const policy = (allPolicies as Policies).find(
      (p) => p.name === "sec1-a-http-route-authorization",
    ) as StackValidationPolicy;
    const run = await runStackPolicy(policy, stack);
    assert.strictEqual(run.violations.length, 1);
    assert.deepStrictEqual(run, await serverAnalyzeStack(policy, stack));
  });
});
