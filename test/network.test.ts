// The Network component: VPC and the execute-api interface endpoint.
import * as assert from "assert";
import { Network, NetworkArgs, validateNetworkArgs } from "../components/network";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import { REGION } from "./fixtures/private-api";
import { ofType, one, policyDocument, ProgramRun, runComponents } from "./helpers/harness";

/** The happy path: a new VPC as the dev stack configures it. */
const create = (overrides: Partial<NetworkArgs> = {}): NetworkArgs => ({
  create: { cidrBlock: "10.20.0.0/16", availabilityZoneCount: 2, natGateways: "None" },
  tags: { team: "platform" },
  ...overrides,
});

/** An existing VPC as the prod stack configures it. */
const existing = (overrides: Partial<NetworkArgs> = {}): NetworkArgs => ({
  existing: {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    privateSubnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
  },
  allowedSecurityGroupIds: ["sg-0a1b2c3d4e5f60aaa"],
  executeApiPrivateDns: false,
  tags: { team: "platform" },
  ...overrides,
});

/** A private API's default URL, as API Gateway gives it. */
const API = {
  restApiId: "abc123defg",
  invokeUrl: `https://abc123defg.execute-api.${REGION}.amazonaws.com/v1`,
};

function runNetwork(args: NetworkArgs, options: Parameters<typeof runComponents>[1] = {}) {
  return runComponents(() => {
    const net = new Network("net", args);
    return {
      apiUrl: net.invokeUrlFor(API),
      executeApiPrivateDns: net.executeApiPrivateDns,
      vpcId: net.vpcId,
      privateSubnetIds: net.privateSubnetIds,
      vpcCidrBlock: net.vpcCidrBlock,
      vpcEndpointId: net.vpcEndpointId,
      endpointSecurityGroupId: net.endpointSecurityGroupId,
      clientSecurityGroupId: net.clientSecurityGroupId,
    };
  }, options);
}

/** The run's failure, or undefined when it succeeded. */
const failureOf = (run: Promise<unknown>) =>
  run.then(
    () => undefined,
    (err: unknown) => err as Error,
  );

interface Rule {
  protocol: string;
  fromPort: number;
  toPort: number;
  securityGroups?: string[];
  cidrBlocks?: string[];
}

describe("Network", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runNetwork(create());
  });

  describe("a new VPC", () => {
    it("builds it with awsx in the configured CIDR and AZ count, DNS on for private DNS", () => {
      const vpc = one(run, "awsx:ec2:Vpc");
      assert.strictEqual(vpc.inputs.cidrBlock, "10.20.0.0/16");
      assert.strictEqual(vpc.inputs.numberOfAvailabilityZones, 2);
      assert.deepStrictEqual(vpc.inputs.natGateways, { strategy: "None" });
      assert.strictEqual(vpc.inputs.enableDnsHostnames, true);
      assert.strictEqual(vpc.inputs.enableDnsSupport, true);
    });

    it("makes only private subnets without NAT, and public ones only to hold NAT gateways", async () => {
      const types = (r: ProgramRun) =>
        (one(r, "awsx:ec2:Vpc").inputs.subnetSpecs as { type: string }[]).map((s) => s.type);
      assert.deepStrictEqual(types(run), ["Private"]);
      const withNat = await runNetwork(
        create({
          create: { cidrBlock: "10.20.0.0/16", availabilityZoneCount: 3, natGateways: "Single" },
        }),
      );
      assert.deepStrictEqual(types(withNat), ["Private", "Public"]);
    });

    it("exports the VPC's id, private subnets and CIDR", () => {
      const vpc = one(run, "awsx:ec2:Vpc");
      const state = vpc.wireOutputs as { vpcId: string; privateSubnetIds: string[] };
      assert.strictEqual(run.outputs.vpcId, state.vpcId);
      assert.deepStrictEqual(run.outputs.privateSubnetIds, state.privateSubnetIds);
      assert.strictEqual(run.outputs.vpcCidrBlock, "10.20.0.0/16");
    });
  });

  describe("the execute-api endpoint", () => {
    it("is an Interface endpoint for this region's execute-api with private DNS", () => {
      const endpoint = one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api");
      assert.strictEqual(endpoint.inputs.serviceName, `com.amazonaws.${REGION}.execute-api`);
      assert.strictEqual(endpoint.inputs.vpcEndpointType, "Interface");
      assert.strictEqual(endpoint.inputs.privateDnsEnabled, true);
      assert.strictEqual(run.outputs.vpcEndpointId, endpoint.id);
      assert.match(endpoint.id!, /^vpce-0/);
    });

    it("sits in the VPC's private subnets, with only its own security group", () => {
      const endpoint = one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api");
      assert.strictEqual(endpoint.inputs.vpcId, run.outputs.vpcId);
      assert.deepStrictEqual(endpoint.inputs.subnetIds, run.outputs.privateSubnetIds);
      assert.deepStrictEqual(endpoint.inputs.securityGroupIds, [
        run.outputs.endpointSecurityGroupId,
      ]);
    });

    it("carries only calls to this account's APIs (endpoint policy)", () => {
      const doc = policyDocument(
        one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api").inputs.policy,
      );
      assert.deepStrictEqual(doc.Statement, [
        {
          Sid: "OwnAccountApisOnly",
          Effect: "Allow",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:*`,
        },
      ]);
    });

    it("adds an SSM endpoint (private DNS, same group) that carries only reads of this account's parameters", () => {
      const ssm = one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-ssm");
      assert.strictEqual(ssm.inputs.serviceName, `com.amazonaws.${REGION}.ssm`);
      assert.strictEqual(ssm.inputs.privateDnsEnabled, true);
      assert.deepStrictEqual(ssm.inputs.securityGroupIds, [
        one(run, "aws:ec2/securityGroup:SecurityGroup", "-endpoint").id,
      ]);
      assert.deepStrictEqual(policyDocument(ssm.inputs.policy).Statement, [
        {
          Sid: "ReadOwnAccountParameters",
          Effect: "Allow",
          Principal: "*",
          Action: ["ssm:GetParameter", "ssm:GetParameters"],
          Resource: `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT_ID}:parameter/*`,
        },
      ]);
    });
  });

  describe("security groups", () => {
    const endpointGroup = (r: ProgramRun) =>
      one(r, "aws:ec2/securityGroup:SecurityGroup", "-endpoint");

    it("lets only HTTPS in to the endpoint, from the client group and the VPC CIDR when no caller groups are set", () => {
      const rules = endpointGroup(run).inputs.ingress as Rule[];
      for (const r of rules)
        assert.deepStrictEqual([r.protocol, r.fromPort, r.toPort], ["tcp", 443, 443]);
      const sources = rules.flatMap((r) => [...(r.securityGroups ?? []), ...(r.cidrBlocks ?? [])]);
      assert.deepStrictEqual(
        sources.sort(),
        [run.outputs.clientSecurityGroupId, "10.20.0.0/16"].sort(),
      );
    });

    it("lets HTTPS in only from the client group and the configured caller groups when set, not the CIDR", async () => {
      const withGroups = await runNetwork(
        create({ allowedSecurityGroupIds: ["sg-0a1b2c3d4e5f60aaa"] }),
      );
      const rules = endpointGroup(withGroups).inputs.ingress as Rule[];
      assert.ok(rules.every((r) => r.cidrBlocks === undefined || r.cidrBlocks.length === 0));
      const sources = rules.flatMap((r) => r.securityGroups ?? []);
      assert.deepStrictEqual(
        sources.sort(),
        [withGroups.outputs.clientSecurityGroupId, "sg-0a1b2c3d4e5f60aaa"].sort(),
      );
    });

    it("gives the endpoint group no egress at all", () => {
      assert.deepStrictEqual(endpointGroup(run).inputs.egress, []);
    });

    it("lets the client group out only on HTTPS to the endpoint group", () => {
      const clients = one(run, "aws:ec2/securityGroup:SecurityGroup", "-api-clients");
      assert.strictEqual(
        clients.inputs.egress,
        undefined,
        "no inline egress (AWS's allow-all is removed)",
      );
      assert.strictEqual(clients.inputs.ingress, undefined);
      const egress = ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
      assert.strictEqual(egress.length, 1);
      assert.deepStrictEqual(
        [
          egress[0].inputs.securityGroupId,
          egress[0].inputs.ipProtocol,
          egress[0].inputs.fromPort,
          egress[0].inputs.toPort,
          egress[0].inputs.referencedSecurityGroupId,
        ],
        [clients.id, "tcp", 443, 443, endpointGroup(run).id],
      );
      assert.strictEqual(egress[0].inputs.cidrIpv4, undefined);
    });

    it("never opens anything to 0.0.0.0/0", () => {
      assert.ok(!JSON.stringify(run.resources.map((r) => r.inputs)).includes("0.0.0.0/0"));
    });

    it("tags every taggable child", () => {
      for (const r of run.resources.filter((r) => r.custom))
        assert.strictEqual((r.inputs.tags as Record<string, string>)?.team, "platform", r.name);
    });
  });

  describe("an existing VPC", () => {
    let prodLike: ProgramRun;
    before(async () => {
      prodLike = await runNetwork(existing());
    });

    it("creates no VPC and uses the given VPC and subnets", () => {
      assert.strictEqual(ofType(prodLike, "awsx:ec2:Vpc").length, 0);
      assert.strictEqual(prodLike.outputs.vpcId, "vpc-0a1b2c3d4e5f60718");
      const endpoint = one(prodLike, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api");
      assert.deepStrictEqual(endpoint.inputs.subnetIds, [
        "subnet-0a1b2c3d4e5f60001",
        "subnet-0a1b2c3d4e5f60002",
      ]);
    });

    it("looks up the VPC's CIDR", () => {
      assert.strictEqual(prodLike.outputs.vpcCidrBlock, "10.40.0.0/16");
    });
  });

  describe("an existing VPC as platform teams have it", () => {
    it("creates the execute-api endpoint without private DNS when told, and gives callers the endpoint-specific host name", async () => {
      const run = await runNetwork(existing({ executeApiPrivateDns: false }));
      const endpoint = one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api");
      assert.strictEqual(endpoint.inputs.privateDnsEnabled, false);
      assert.strictEqual(run.outputs.executeApiPrivateDns, false);
      assert.strictEqual(
        run.outputs.apiUrl,
        `https://abc123defg-${endpoint.id}.execute-api.${REGION}.amazonaws.com/v1`,
      );
      // The SSM endpoint keeps private DNS (one per service and VPC; nothing public shares it).
      assert.strictEqual(
        one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-ssm").inputs.privateDnsEnabled,
        true,
      );
    });

    it("keeps the default URL where the endpoint has private DNS", async () => {
      const run = await runNetwork(existing({ executeApiPrivateDns: true }));
      assert.strictEqual(run.outputs.apiUrl, API.invokeUrl);
      assert.strictEqual(
        one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api").inputs.privateDnsEnabled,
        true,
      );
    });

    it("uses the VPC's own execute-api endpoint instead of creating one, looked up in that VPC", async () => {
      const vpce = "vpce-0a1b2c3d4e5f6a7b8";
      const base = existing();
      const looked: Record<string, unknown>[] = [];
      const run = await runNetwork(
        {
          ...base,
          executeApiPrivateDns: undefined,
          existing: { ...base.existing!, executeApiEndpointId: vpce },
        },
        {
          calls: (args) => {
            if (args.token === "aws:ec2/getVpcEndpoint:getVpcEndpoint") looked.push(args.inputs);
            return undefined;
          },
        },
      );
      assert.strictEqual(run.outputs.vpcEndpointId, vpce);
      assert.deepStrictEqual(looked, [{ id: vpce, vpcId: "vpc-0a1b2c3d4e5f60718" }]);
      assert.deepStrictEqual(
        ofType(run, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.name),
        ["net-ssm"],
        "no second execute-api endpoint",
      );
      // The mock's endpoint has private DNS: the default URL reaches it.
      assert.strictEqual(run.outputs.apiUrl, API.invokeUrl);
      const egress = ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").find(
        (r) => r.name === "net-api-clients-https-vpc",
      );
      assert.strictEqual(egress?.inputs.cidrIpv4, "10.40.0.0/16");
    });

    it("refuses an existing endpoint that is not an execute-api Interface endpoint", async () => {
      const base = existing({ executeApiPrivateDns: undefined });
      const err = await failureOf(
        runNetwork(
          {
            ...base,
            existing: { ...base.existing!, executeApiEndpointId: "vpce-0a1b2c3d4e5f6a7b8" },
          },
          {
            calls: (args) =>
              args.token === "aws:ec2/getVpcEndpoint:getVpcEndpoint"
                ? { serviceName: `com.amazonaws.${REGION}.s3`, vpcEndpointType: "Gateway" }
                : undefined,
          },
        ),
      );
      assert.match(
        String(err),
        /Gateway endpoint for com\.amazonaws\.eu-west-1\.s3, expected an Interface endpoint for execute-api/,
      );
    });

    for (const off of ["enableDnsSupport", "enableDnsHostnames"])
      it(`fails before any endpoint exists when the VPC has ${off} off and an endpoint made here needs private DNS`, async () => {
        let err: Error | undefined;
        const run = await runNetwork(existing({ executeApiPrivateDns: true }), {
          calls: (args) => (args.token === "aws:ec2/getVpc:getVpc" ? { [off]: false } : undefined),
        }).catch((e: Error) => {
          err = e;
          return undefined;
        });
        assert.ok(err, `expected a failure, got ${JSON.stringify(run?.outputs)}`);
        assert.match(err.message, new RegExp(`VPC vpc-0a1b2c3d4e5f60718 has ${off} off`));
        assert.match(err.message, /executeApiPrivateDns: false and ssmEndpoint: false/);
      });

    it("does not ask for DNS attributes when no endpoint made here has private DNS", async () => {
      const run = await runNetwork(existing({ executeApiPrivateDns: false, ssmEndpoint: false }), {
        calls: (args) =>
          args.token === "aws:ec2/getVpc:getVpc"
            ? { enableDnsSupport: false, enableDnsHostnames: false }
            : undefined,
      });
      assert.strictEqual(
        one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api").inputs.privateDnsEnabled,
        false,
      );
    });

    it("asks for the private DNS choice in an existing VPC, and refuses it beside an existing endpoint", () => {
      const base = existing({ executeApiPrivateDns: undefined });
      assert.match(
        validateNetworkArgs(base).join("\n"),
        /executeApiPrivateDns: required .* existing VPC: true sends every public API Gateway default host name .* \(403 Forbidden\)/,
      );
      const both = {
        ...base,
        executeApiPrivateDns: true,
        existing: { ...base.existing!, executeApiEndpointId: "vpce-x" },
      };
      const problems = validateNetworkArgs(both).join("\n");
      assert.match(problems, /executeApiPrivateDns: not with existing\.executeApiEndpointId/);
      assert.match(problems, /existing\.executeApiEndpointId: expected a VPC endpoint id/);
      assert.deepStrictEqual(validateNetworkArgs(create({ executeApiPrivateDns: false })), []);
    });
  });

  describe("argument validation", () => {
    it("accepts both modes", () => {
      assert.deepStrictEqual(validateNetworkArgs(create()), []);
      assert.deepStrictEqual(validateNetworkArgs(existing()), []);
    });

    it("reports every problem at once, naming each field, before creating any child", async () => {
      let error: Error | undefined;
      const bad = await runComponents(() => {
        try {
          new Network("net", {
            create: {
              cidrBlock: "10.20.0.0/8x",
              availabilityZoneCount: 1,
              natGateways: "Many" as never,
            },
            existing: { vpcId: "vpc-nope", privateSubnetIds: ["subnet-0a1b2c3d4e5f60001"] },
            allowedSecurityGroupIds: ["sg-x"],
          });
        } catch (e) {
          error = e as Error;
        }
      });
      assert.ok(error, "expected a validation error");
      for (const field of [
        "create/existing: expected exactly one",
        "create.cidrBlock",
        "create.availabilityZoneCount",
        "create.natGateways",
        "existing.vpcId",
        "existing.privateSubnetIds: expected at least two",
        "allowedSecurityGroupIds[0]",
      ])
        assert.ok(error.message.includes(field), `missing '${field}' in:\n${error.message}`);
      assert.deepStrictEqual(
        bad.resources.filter((r) => r.custom),
        [],
      );
    });

    it("requires one of create and existing", () => {
      assert.match(validateNetworkArgs({})[0], /exactly one of create and existing/);
    });
  });
});
