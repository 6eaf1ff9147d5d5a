// The security keys: HTTPS given one way or the other, refused before anything exists when the zone, the domain or
// the certificate cannot work, and required on live; deletion protection and private endpoints as the stacks set them.
import * as assert from "node:assert/strict";
import { inZone } from "../../config";
import { assertRejected, parseStack, parseWith, problemsOf } from "../support/stack-config";

const DOMAIN = { domainName: "www.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ", hostedZoneName: "example.com" };

describe("the security config", () => {
  it("reads live's domain, zone, protection and private endpoints from its stack file", () => {
    const live = parseStack("live");

    assert.deepEqual(live.domain, {
      name: "phoenix.example.com",
      hostedZoneId: "Z0EXAMPLE0PHOENIX0LIVE",
      hostedZoneName: "example.com",
    });
    assert.equal(live.certificateArn, undefined);
    assert.equal(live.deletionProtection, true);
    assert.equal(live.privateEndpoints, true);
  });

  it("keeps test HTTP-only, unprotected and on NAT, so its disposable copies are too", () => {
    const test = parseStack("test");

    assert.equal(test.domain, undefined);
    assert.equal(test.certificateArn, undefined);
    assert.equal(test.deletionProtection, false);
    assert.equal(test.privateEndpoints, false);
  });

  it("refuses live without HTTPS, naming both ways to give it", () => {
    const text = problemsOf(() => parseWith({}, "live"));

    assert.match(text, /live stack must serve HTTPS/);
    assert.match(text, /phoenix:domainName with phoenix:hostedZoneId and phoenix:hostedZoneName/);
    assert.match(text, /or phoenix:certificateArn/);
  });

  it("accepts live with a certificate from its own region", () => {
    const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-0000-0000-000000000000";

    assert.equal(parseWith({ certificateArn: arn }, "live").certificateArn, arn);
  });

  it("refuses a certificate from another region than the stack's", () => {
    assertRejected(
      { certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d" },
      /is in us-east-1, but a load balancer in eu-west-1 can only use a certificate from eu-west-1/,
    );
  });

  it("refuses a hosted zone without a domain, and a domain without its zone", () => {
    assertRejected({ hostedZoneId: DOMAIN.hostedZoneId }, /hostedZoneId .*needs domainName/);
    assertRejected({ domainName: DOMAIN.domainName }, /domainName .*needs hostedZoneId and hostedZoneName/);
    assertRejected(
      { domainName: DOMAIN.domainName, hostedZoneId: DOMAIN.hostedZoneId },
      /needs hostedZoneId and hostedZoneName/,
    );
  });

  it("refuses a domain outside the hosted zone it names", () => {
    assertRejected(
      { ...DOMAIN, domainName: "www.example.org" },
      /www\.example\.org": is outside the hosted zone example\.com/,
    );
    assertRejected({ ...DOMAIN, domainName: "notexample.com" }, /outside the hosted zone example\.com/);
  });

  it("refuses a zone id or names of the wrong shape", () => {
    assertRejected({ ...DOMAIN, hostedZoneId: "example.com" }, /hostedZoneId = "example.com": must be a Route 53/);
    assertRejected({ ...DOMAIN, domainName: "www example.com" }, /domainName = "www example.com": must be a DNS name/);
  });

  it("refuses a domain and a certificate together: one way to give HTTPS", () => {
    assertRejected(
      { ...DOMAIN, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d" },
      /two ways to give HTTPS: give one/,
    );
  });

  it("takes the zone's apex and names under it as inside, and look-alikes as outside", () => {
    assert.ok(inZone("example.com", "example.com."));
    assert.ok(inZone("a.b.example.com", "example.com"));
    assert.ok(!inZone("badexample.com", "example.com"));
  });
});
