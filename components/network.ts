/**
 * The private network of the internal API tier: a VPC (new, or existing from config) and the
 * interface VPC endpoint through which callers inside it reach private REST APIs (made here, or
 * the one a platform team already runs in that VPC).
 *
 * Private DNS on an execute-api endpoint answers `*.execute-api.<region>.amazonaws.com` with the
 * endpoint for the whole VPC: every public API Gateway API (REST, HTTP, WebSocket) called by its
 * default host name from that VPC then goes to the endpoint and gets 403 Forbidden. In a VPC made
 * here nothing else lives, so it is on; in an existing VPC the caller must choose. Without it,
 * callers use the endpoint-specific host name `<api-id>-<vpce-id>.execute-api.<region>.amazonaws.com`
 * ({@link Network.invokeUrlFor}).
 * https://repost.aws/knowledge-center/api-gateway-vpc-connections
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html
 * Private DNS of any interface endpoint needs the VPC's `enableDnsSupport` and
 * `enableDnsHostnames`: they are looked up for an existing VPC (`getVpc`, which a `pulumi preview`
 * already runs, so a VPC without them fails the preview) and the endpoints wait for the check.
 * The offline mock engine answers a VPC with both on; tests turn them off.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";

const IPV4_CIDR =
  /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const VPCE_ID = /^vpce-[0-9a-f]{8,17}$/;
const NAT_STRATEGIES = ["None", "Single", "OnePerAz"] as const;

/** A new VPC, built with awsx. */
export interface CreateVpcArgs {
  /** The VPC's IPv4 CIDR, e.g. `10.20.0.0/16`. */
  cidrBlock: string;
  /** Availability zones to spread the private subnets over (2-6). */
  availabilityZoneCount: number;
  /** NAT gateways for outbound internet from the private subnets; `None` keeps them offline. */
  natGateways: (typeof NAT_STRATEGIES)[number];
}

/** An existing VPC and its private subnets. */
export interface ExistingVpcArgs {
  /** The VPC id. */
  vpcId: pulumi.Input<string>;
  /** Private subnets in at least two availability zones; the endpoint gets an ENI in each. */
  privateSubnetIds: pulumi.Input<string>[];
  /**
   * The VPC's execute-api interface endpoint to use instead of creating one (one with private DNS
   * per VPC: a second would fail to create). Private APIs bind to it and their resource policies
   * pin it; its own private DNS setting decides the host name callers use.
   */
  executeApiEndpointId?: pulumi.Input<string>;
}

export interface NetworkArgs {
  /** Create a VPC. Exactly one of `create` and `existing`. */
  create?: CreateVpcArgs;
  /** Use an existing VPC. Exactly one of `create` and `existing`. */
  existing?: ExistingVpcArgs;
  /**
   * Security groups of callers (besides this component's client group) allowed to reach the
   * endpoint on 443. When empty, the whole VPC CIDR may reach it.
   */
  allowedSecurityGroupIds?: pulumi.Input<string>[];
  /**
   * Private DNS on the execute-api endpoint this component creates: default true in a new VPC,
   * required in an existing one (see the module's comment for what it does to public APIs
   * called from that VPC). Not with `existing.executeApiEndpointId`.
   */
  executeApiPrivateDns?: boolean;
  /**
   * An SSM interface endpoint with private DNS (default true), for functions here that read
   * SecureStrings. False when the VPC already has one: private DNS allows one per service and VPC.
   */
  ssmEndpoint?: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** Every problem with the args, each naming its field; empty when they are fine. */
export function validateNetworkArgs(args: NetworkArgs): string[] {
  const problems: string[] = [];
  if ((args.create === undefined) === (args.existing === undefined))
    problems.push("create/existing: expected exactly one of create and existing");
  if (args.create) {
    const c = args.create;
    if (!IPV4_CIDR.test(c.cidrBlock ?? ""))
      problems.push(
        `create.cidrBlock: expected an IPv4 CIDR such as 10.20.0.0/16, found '${c.cidrBlock}'`,
      );
    else if (Number(c.cidrBlock.split("/")[1]) > 24)
      problems.push(
        `create.cidrBlock: expected a /16 to /24 block to fit subnets in each AZ, found '${c.cidrBlock}'`,
      );
    if (!(
      Number.isInteger(c.availabilityZoneCount) &&
      c.availabilityZoneCount >= 2 &&
      c.availabilityZoneCount <= 6
    ))
      problems.push(
        `create.availabilityZoneCount: expected an integer from 2 to 6, found ${c.availabilityZoneCount}`,
      );
    if (!NAT_STRATEGIES.includes(c.natGateways))
      problems.push(
        `create.natGateways: expected one of ${NAT_STRATEGIES.join(", ")}, found '${c.natGateways}'`,
      );
  }
  if (args.existing) {
    const e = args.existing;
    if (typeof e.vpcId === "string" && !VPC_ID.test(e.vpcId))
      problems.push(
        `existing.vpcId: expected a VPC id such as vpc-0abc12345def67890, found '${e.vpcId}'`,
      );
    if (!Array.isArray(e.privateSubnetIds) || e.privateSubnetIds.length < 2)
      problems.push("existing.privateSubnetIds: expected at least two private subnets (two AZs)");
    (e.privateSubnetIds ?? []).forEach((s, i) => {
      if (typeof s === "string" && !SUBNET_ID.test(s))
        problems.push(`existing.privateSubnetIds[${i}]: expected a subnet id, found '${s}'`);
    });
  }
  problems.push(...endpointProblems(args));
  (args.allowedSecurityGroupIds ?? []).forEach((s, i) => {
    if (typeof s === "string" && !SG_ID.test(s))
      problems.push(`allowedSecurityGroupIds[${i}]: expected a security group id, found '${s}'`);
  });
  return problems;
}

/** What the execute-api endpoint needs: a choice of private DNS in an existing VPC, an id. */
function endpointProblems(args: NetworkArgs): string[] {
  const problems: string[] = [];
  const id = args.existing?.executeApiEndpointId;
  const dns = args.executeApiPrivateDns;
  if (dns !== undefined && typeof dns !== "boolean")
    problems.push(`executeApiPrivateDns: expected true or false, found ${JSON.stringify(dns)}`);
  if (typeof id === "string" && !VPCE_ID.test(id))
    problems.push(
      `existing.executeApiEndpointId: expected a VPC endpoint id such as vpce-0abc12345def67890, found '${id}'`,
    );
  if (id !== undefined && dns !== undefined)
    problems.push(
      "executeApiPrivateDns: not with existing.executeApiEndpointId (the existing endpoint's own setting applies)",
    );
  if (args.existing && id === undefined && dns === undefined)
    problems.push(
      "executeApiPrivateDns: required when the execute-api endpoint is created in an existing VPC: true sends every public API Gateway default host name called from that VPC to the endpoint (403 Forbidden); false keeps them public, and callers of private APIs use the endpoint-specific host name",
    );
  return problems;
}

/**
 * The VPC's DNS attributes, checked where an endpoint made here has private DNS: resolves to the
 * VPC id once both are on, fails the deployment (before any endpoint is created) otherwise.
 */
function dnsCheckedVpcId(
  vpcId: pulumi.Input<string>,
  name: string,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  const vpc = aws.ec2.getVpcOutput({ id: vpcId }, { parent });
  return pulumi
    .all([vpc.id, vpc.enableDnsSupport, vpc.enableDnsHostnames])
    .apply(([id, support, hostnames]) => {
      const off = [
        ...(support === true ? [] : ["enableDnsSupport"]),
        ...(hostnames === true ? [] : ["enableDnsHostnames"]),
      ];
      const problem = `existing.vpcId: VPC ${id} has ${off.join(" and ")} off; private DNS of the interface endpoints made here needs both (turn them on in the VPC, or set executeApiPrivateDns: false and ssmEndpoint: false)`;
      assertValidArgs("Network", name, off.length > 0 ? [problem] : [], parent);
      return id;
    });
}

/**
 * A VPC with an interface endpoint for `execute-api` (private DNS on) in its private subnets,
 * the endpoint's security group (443 in, from callers only) and a client security group that
 * callers attach to reach it.
 */
export class Network extends pulumi.ComponentResource {
  /** The VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** The private subnets (where callers and the endpoint live). */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The VPC's IPv4 CIDR. */
  public readonly vpcCidrBlock: pulumi.Output<string>;
  /** The execute-api interface endpoint's id (`vpce-...`): private APIs bind to it. */
  public readonly vpcEndpointId: pulumi.Output<string>;
  /** Whether that endpoint has private DNS (the API's default host name reaches it). */
  public readonly executeApiPrivateDns: pulumi.Output<boolean>;
  /** The endpoint's own security group. */
  public readonly endpointSecurityGroupId: pulumi.Output<string>;
  /** The group callers (e.g. Lambda functions in the VPC) attach to reach the endpoint. */
  public readonly clientSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:network:Network", name, {}, opts);
    assertValidArgs("Network", name, validateNetworkArgs(args), this);
    const tags = args.tags ?? {};
    const vpc = this.vpc(name, args, tags);
    this.vpcId = vpc.vpcId;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.vpcCidrBlock = vpc.cidrBlock;
    const existingEndpoint = args.existing?.executeApiEndpointId;
    const groups = this.securityGroups(name, args.allowedSecurityGroupIds ?? [], tags, {
      anyEndpointInVpc: existingEndpoint !== undefined,
    });
    const ssm = args.ssmEndpoint ?? true;
    const privateDns = existingEndpoint === undefined && (args.executeApiPrivateDns ?? true);
    // An existing VPC's DNS attributes are whatever its owners set: checked before any endpoint
    // with private DNS is made in it.
    const endpointVpcId =
      args.existing && (privateDns || ssm)
        ? dnsCheckedVpcId(args.existing.vpcId, name, this)
        : vpc.vpcId;
    if (existingEndpoint !== undefined) {
      const found = this.existingEndpoint(name, existingEndpoint, vpc.vpcId);
      this.vpcEndpointId = found.id;
      this.executeApiPrivateDns = found.privateDnsEnabled;
    } else {
      const endpoint = this.endpoint(name, groups.endpointGroup, tags, endpointVpcId, privateDns);
      // Carries the DNS check's failure too: an endpoint whose VPC failed it is never created.
      this.vpcEndpointId = pulumi.all([endpointVpcId, endpoint.id]).apply(([, id]) => id);
      this.executeApiPrivateDns = pulumi.output(privateDns);
    }
    if (ssm) this.ssmEndpoint(name, groups.endpointGroup, tags, endpointVpcId);

    this.endpointSecurityGroupId = groups.endpointGroup.id;
    this.clientSecurityGroupId = groups.clients.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      vpcCidrBlock: this.vpcCidrBlock,
      vpcEndpointId: this.vpcEndpointId,
      executeApiPrivateDns: this.executeApiPrivateDns,
      endpointSecurityGroupId: this.endpointSecurityGroupId,
      clientSecurityGroupId: this.clientSecurityGroupId,
    });
  }

  /**
   * The URL callers inside this VPC use for a private REST API bound to the endpoint: its default
   * URL where the endpoint has private DNS, else the endpoint-specific host name
   * `<api-id>-<vpce-id>.execute-api.<region>.amazonaws.com` (API Gateway's public DNS name for
   * the API through that endpoint; SigV4 signs that host).
   */
  public invokeUrlFor(api: {
    restApiId: pulumi.Input<string>;
    invokeUrl: pulumi.Input<string>;
  }): pulumi.Output<string> {
    return pulumi
      .all([this.executeApiPrivateDns, api.invokeUrl, api.restApiId, this.vpcEndpointId])
      .apply(([dns, url, id, vpce]) =>
        dns ? url : url.replace(`https://${id}.execute-api.`, `https://${id}-${vpce}.execute-api.`),
      );
  }

  /**
   * The VPC's own execute-api endpoint, looked up in this VPC (another VPC's is not found): it
   * must be an Interface endpoint for execute-api.
   */
  private existingEndpoint(
    name: string,
    id: pulumi.Input<string>,
    vpcId: pulumi.Input<string>,
  ): { id: pulumi.Output<string>; privateDnsEnabled: pulumi.Output<boolean> } {
    const found = aws.ec2.getVpcEndpointOutput({ id, vpcId }, { parent: this });
    const checked = pulumi
      .all([found.id, found.serviceName, found.vpcEndpointType])
      .apply(([foundId, service, type]) => {
        const fits = String(service).endsWith(".execute-api") && type === "Interface";
        const problem = `existing.executeApiEndpointId: ${foundId} is a ${type} endpoint for ${service}, expected an Interface endpoint for execute-api`;
        assertValidArgs("Network", name, fits ? [] : [problem], this);
        return foundId;
      });
    return { id: checked, privateDnsEnabled: found.privateDnsEnabled };
  }

  /** The VPC: a new one (awsx) or the existing one's ids. */
  private vpc(
    name: string,
    args: NetworkArgs,
    tags: Record<string, string>,
  ): {
    vpcId: pulumi.Output<string>;
    privateSubnetIds: pulumi.Output<string[]>;
    cidrBlock: pulumi.Output<string>;
  } {
    if (args.create) {
      const c = args.create;
      // Private subnets only, unless NAT gateways need public subnets to live in. awsx builds
      // subnets, route tables and gateways; none of them decides who may call the API.
      const vpc = new awsx.ec2.Vpc(
        `${name}-vpc`,
        {
          cidrBlock: c.cidrBlock,
          numberOfAvailabilityZones: c.availabilityZoneCount,
          natGateways: { strategy: c.natGateways },
          subnetStrategy: "Auto",
          subnetSpecs: [
            { type: "Private" },
            ...(c.natGateways === "None" ? [] : [{ type: "Public" as const }]),
          ],
          // Private DNS of interface endpoints needs both.
          enableDnsHostnames: true,
          enableDnsSupport: true,
          tags,
        },
        { parent: this },
      );
      return {
        vpcId: vpc.vpcId,
        privateSubnetIds: vpc.privateSubnetIds,
        cidrBlock: pulumi.output(c.cidrBlock),
      };
    } else {
      const e = args.existing!;
      return {
        vpcId: pulumi.output(e.vpcId),
        privateSubnetIds: pulumi.output(e.privateSubnetIds),
        cidrBlock: aws.ec2.getVpcOutput({ id: e.vpcId }, { parent: this }).cidrBlock,
      };
    }
  }

  /** The callers' group and the endpoint's group, which admit each other on 443 only. */
  private securityGroups(
    name: string,
    allowed: pulumi.Input<string>[],
    tags: Record<string, string>,
    opts: { anyEndpointInVpc: boolean },
  ): { clients: aws.ec2.SecurityGroup; endpointGroup: aws.ec2.SecurityGroup } {
    // Callers attach this group; its only rule lets them open HTTPS to the endpoint.
    const clients = new aws.ec2.SecurityGroup(
      `${name}-api-clients`,
      {
        vpcId: this.vpcId,
        description: "Callers of private APIs: HTTPS to the execute-api endpoint only",
        tags: { ...tags, Name: `${name}-api-clients` },
      },
      { parent: this },
    );

    const endpointGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoint`,
      {
        vpcId: this.vpcId,
        description: "execute-api interface endpoint: HTTPS in from API callers only",
        ingress: [
          {
            description: "HTTPS from the API client group",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            securityGroups: [clients.id],
          },
          ...(allowed.length > 0
            ? [
                {
                  description: "HTTPS from caller security groups in config",
                  protocol: "tcp",
                  fromPort: 443,
                  toPort: 443,
                  securityGroups: allowed,
                },
              ]
            : [
                {
                  description: "HTTPS from inside the VPC (no caller groups configured)",
                  protocol: "tcp",
                  fromPort: 443,
                  toPort: 443,
                  cidrBlocks: [this.vpcCidrBlock],
                },
              ]),
        ],
        // Endpoint interfaces only answer; security groups are stateful, so no egress at all.
        egress: [],
        tags: { ...tags, Name: `${name}-endpoint` },
      },
      { parent: this },
    );

    // A separate rule, not inline: the client group and the endpoint group name each other.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-api-clients-https`,
      {
        securityGroupId: clients.id,
        description: "HTTPS to the execute-api endpoint",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        referencedSecurityGroupId: endpointGroup.id,
        tags,
      },
      { parent: this },
    );
    if (opts.anyEndpointInVpc) this.vpcEgress(name, clients, tags);
    return { clients, endpointGroup };
  }

  /**
   * An existing execute-api endpoint has its owners' security groups (they must admit the client
   * group, or the VPC, on 443): the clients may open HTTPS to the VPC's addresses.
   */
  private vpcEgress(name: string, clients: aws.ec2.SecurityGroup, tags: Record<string, string>) {
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-api-clients-https-vpc`,
      {
        securityGroupId: clients.id,
        description: "HTTPS to the VPC's existing execute-api endpoint",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: this.vpcCidrBlock,
        tags,
      },
      { parent: this },
    );
  }

  /** The execute-api interface endpoint: private DNS, its own group, this account's APIs only. */
  private endpoint(
    name: string,
    endpointGroup: aws.ec2.SecurityGroup,
    tags: Record<string, string>,
    vpcId: pulumi.Input<string>,
    privateDns: boolean,
  ): aws.ec2.VpcEndpoint {
    // Through this endpoint, only APIs of this account: it cannot carry data to another
    // account's private API. The APIs' own resource policies decide who may call them.
    return this.interfaceEndpoint(`${name}-execute-api`, "execute-api", endpointGroup, tags, {
      Sid: "OwnAccountApisOnly",
      Action: "execute-api:Invoke",
      resource: "*",
      vpcId,
      privateDns,
    });
  }

  /**
   * The SSM interface endpoint, for functions in these subnets that read SecureStrings (an API
   * key for quotas) without a route to the internet. The same security group: the client group's
   * HTTPS egress reaches it, nothing else does.
   */
  private ssmEndpoint(
    name: string,
    endpointGroup: aws.ec2.SecurityGroup,
    tags: Record<string, string>,
    vpcId: pulumi.Input<string>,
  ): aws.ec2.VpcEndpoint {
    // Only reads of this account's parameters travel through it.
    return this.interfaceEndpoint(`${name}-ssm`, "ssm", endpointGroup, tags, {
      Sid: "ReadOwnAccountParameters",
      Action: ["ssm:GetParameter", "ssm:GetParameters"],
      resource: "parameter/*",
      vpcId,
      privateDns: true,
    });
  }

  /**
   * An interface endpoint in the private subnets, with private DNS unless told otherwise
   * (callers use the service's default host name) and an endpoint policy allowing `grant` on this account's resources only.
   */
  private interfaceEndpoint(
    childName: string,
    service: string,
    endpointGroup: aws.ec2.SecurityGroup,
    tags: Record<string, string>,
    grant: {
      Sid: string;
      Action: string | string[];
      resource: string;
      vpcId: pulumi.Input<string>;
      privateDns: boolean;
    },
  ): aws.ec2.VpcEndpoint {
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    return new aws.ec2.VpcEndpoint(
      childName,
      {
        vpcId: grant.vpcId,
        serviceName: pulumi.interpolate`${partition.reverseDnsPrefix}.${region.region}.${service}`,
        vpcEndpointType: "Interface",
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [endpointGroup.id],
        privateDnsEnabled: grant.privateDns,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: grant.Sid,
              Effect: "Allow",
              Principal: "*",
              Action: grant.Action,
              Resource: pulumi.interpolate`arn:${partition.partition}:${service}:${region.region}:${account.accountId}:${grant.resource}`,
            },
          ],
        }),
        tags: { ...tags, Name: childName },
      },
      { parent: this },
    );
  }
}
