// The network built directly: refused with fewer than two zones before anything exists; otherwise a VPC with the
// configured NAT strategy, and outputs that name its own subnets and endpoint.
import * as assert from "node:assert/strict";
import { Network } from "../../components/network";
import { PulumiMocks, settle, setupMocks, unwrap } from "../support/pulumi-mocks";

describe("the network", () => {
  let mocks: PulumiMocks;
  let network: Network;

  before(async () => {
    mocks = await setupMocks("test");
    network = new Network("n", {
      region: "eu-west-1",
      cidrBlock: "10.8.0.0/16",
      availabilityZones: 3,
      natGateways: "perZone",
    });
    new Network("s", { region: "eu-west-1", cidrBlock: "10.9.0.0/16", availabilityZones: 2, natGateways: "single" });
    await settle();
  });

  it("refuses a single zone, which no load balancer accepts, before creating any child", async () => {
    assert.throws(
      () =>
        new Network("one", {
          region: "eu-west-1",
          cidrBlock: "10.0.0.0/16",
          availabilityZones: 1,
          natGateways: "single",
        }),
      /Network one: availabilityZones is 1; a load balancer needs at least 2/,
    );
    await settle();
    assert.deepEqual(
      mocks.resources.filter((r) => r.name.startsWith("one-")).map((r) => r.name),
      [],
    );
  });

  it("gives every zone its own NAT gateway for perZone and one for the VPC for single", () => {
    assert.equal(mocks.one("awsx:ec2:Vpc", "n-vpc").inputs.natGateways.strategy, "OnePerAz");
    assert.equal(mocks.one("awsx:ec2:Vpc", "s-vpc").inputs.natGateways.strategy, "Single");
  });

  it("exposes its own VPC, subnets, CIDR block and S3 endpoint", async () => {
    assert.equal(await unwrap(network.vpcId), "n-vpc-vpc-id");
    assert.deepEqual(await unwrap(network.privateSubnetIds), ["n-vpc-private-1", "n-vpc-private-2", "n-vpc-private-3"]);
    assert.deepEqual(await unwrap(network.publicSubnetIds), ["n-vpc-public-1", "n-vpc-public-2", "n-vpc-public-3"]);
    assert.equal(network.cidrBlock, "10.8.0.0/16");
    assert.equal(await unwrap(network.s3EndpointId), mocks.one("aws:ec2/vpcEndpoint:VpcEndpoint", "n-s3").id);
  });
});
