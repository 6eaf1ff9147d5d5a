// The security keys read into a SecurityConfig: how the environment serves HTTPS (a domain the program certifies in
// its Route 53 zone, or a certificate given by ARN), deletion protection and private AWS endpoints. Every rule that
// can be checked without AWS is checked here, before anything exists; the zone's real name is checked at deploy
// (components/load-balancer.ts), still before the certificate is requested.
import { Problems, RawConfig, readBoolean, readString } from "./readers";
import { SecurityConfig } from "./types";

/** Stacks that must serve HTTPS: a production environment never serves plain HTTP. */
export const HTTPS_REQUIRED_STACKS = ["live"];

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Whether `domain` is the zone's apex or a name under it (`www.example.com` in `example.com`). */
export function inZone(domain: string, zoneName: string): boolean {
  const zone = zoneName.replace(/\.$/, "");
  return domain === zone || domain.endsWith(`.${zone}`);
}

/** The security settings; problems name the key, the value and what is allowed. */
export function parseSecurity(
  raw: RawConfig,
  environment: string,
  region: string | undefined,
  problems: Problems,
): SecurityConfig {
  const domainName = readString(raw, "domainName").toLowerCase();
  const hostedZoneId = readString(raw, "hostedZoneId");
  const hostedZoneName = readString(raw, "hostedZoneName").toLowerCase().replace(/\.$/, "");
  const certificateArn = readString(raw, "certificateArn");

  if (domainName !== "" && !DOMAIN.test(domainName)) {
    problems.add("domainName", domainName, "must be a DNS name such as www.example.com");
  }
  if (hostedZoneId !== "" && !HOSTED_ZONE_ID.test(hostedZoneId)) {
    problems.add("hostedZoneId", hostedZoneId, "must be a Route 53 hosted zone id (Z followed by letters and digits)");
  }
  if (hostedZoneName !== "" && !DOMAIN.test(hostedZoneName)) {
    problems.add("hostedZoneName", hostedZoneName, "must be the hosted zone's DNS name, such as example.com");
  }
  if (hostedZoneId !== "" && domainName === "") {
    problems.add("hostedZoneId", hostedZoneId, "needs domainName: the name to certify and point at the load balancer");
  }
  if (domainName !== "" && (hostedZoneId === "" || hostedZoneName === "")) {
    problems.add(
      "domainName",
      domainName,
      "needs hostedZoneId and hostedZoneName: the Route 53 zone the certificate is validated in",
    );
  }
  if (hostedZoneName !== "" && hostedZoneId === "") {
    problems.add("hostedZoneName", hostedZoneName, "needs hostedZoneId: the zone's id, as Route 53 shows it");
  }
  if (DOMAIN.test(domainName) && DOMAIN.test(hostedZoneName) && !inZone(domainName, hostedZoneName)) {
    problems.add(
      "domainName",
      domainName,
      `is outside the hosted zone ${hostedZoneName}: give a name in that zone, or the zone that holds it`,
    );
  }
  if (certificateArn !== "") {
    const m = CERTIFICATE_ARN.exec(certificateArn);
    if (!m) {
      problems.add(
        "certificateArn",
        certificateArn,
        "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) or empty",
      );
    } else if (region && m[1] !== region) {
      problems.add(
        "certificateArn",
        certificateArn,
        `is in ${m[1]}, but a load balancer in ${region} can only use a certificate from ${region}`,
      );
    }
    if (domainName !== "") {
      problems.add("certificateArn", certificateArn, "and domainName are two ways to give HTTPS: give one");
    }
  }
  const https = domainName !== "" || certificateArn !== "";
  if (!https && HTTPS_REQUIRED_STACKS.includes(environment)) {
    problems.list.push(
      `the ${environment} stack must serve HTTPS: set phoenix:domainName with phoenix:hostedZoneId and ` +
        "phoenix:hostedZoneName (the program issues and validates the certificate), or phoenix:certificateArn " +
        "(an ACM certificate in the stack's region)",
    );
  }
  return {
    ...(domainName !== "" && { domain: { name: domainName, hostedZoneId, hostedZoneName } }),
    ...(certificateArn !== "" && { certificateArn }),
    deletionProtection: readBoolean(raw, "deletionProtection", problems),
    privateEndpoints: readBoolean(raw, "privateEndpoints", problems),
  };
}
