// What a sweep makes of one instance: whether it counts as healthy (and if not, why), the version it answered, its
// age at the snapshot's read time, and why it is stale against the version and image its group must run.
import { DEFAULT_DESIRED_VERSION_SOURCE, isUnreleased, MIN_OBSERVED_FOR_TARGET } from "../../contract";
import { compareVersions, normalizeVersion, sameVersion } from "../version";
import { FleetSnapshot, GroupPolicy, GroupSnapshot, InstanceSnapshot, StaleReason, VersionSource } from "../types";

const HOUR_MS = 3_600_000;

/** The version a group must run, where it came from, and, when no version can be trusted, why not. */
export interface DesiredVersion {
  version?: string;
  source: VersionSource;
  /** Instances disagree on their version and nothing trustworthy decides between them: the group is left alone. */
  untrusted?: string;
}

/**
 * The version a group must run. The manifest's when there is one. Without one, under the `manifest` policy (the
 * default) none; under `highest-observed` the highest version an instance answers, but only when at least
 * MIN_OBSERVED_FOR_TARGET instances answer it and it is not above every published release: one instance cannot set
 * the target. Either way, instances that disagree with no trusted target make the group untrusted (left alone). An
 * instance serving the no-release placeholder (UNRELEASED_VERSION) has no release installed: it answers nothing here.
 */
export function desiredVersionFor(
  group: Pick<GroupSnapshot, "instances">,
  snapshot: Pick<FleetSnapshot, "desiredVersion" | "publishedVersions">,
  p: Pick<GroupPolicy, "desiredVersion"> = {},
): DesiredVersion {
  if (snapshot.desiredVersion !== undefined) {
    return { version: snapshot.desiredVersion, source: "manifest" };
  }
  const answered = group.instances.flatMap((i) => {
    const version = versionOf(i);
    return version === undefined || isUnreleased(version) ? [] : [{ id: i.id, version }];
  });
  if (answered.length === 0) return { source: "none" };
  // Ties (equal precedence and build) fall to the larger string, so input order never picks the answer.
  const highest = answered
    .map((a) => a.version)
    .reduce((a, b) => {
      const c = compareVersions(b, a);
      return c > 0 || (c === 0 && b > a) ? b : a;
    });
  const onHighest = answered.filter((a) => a.version === highest);
  const distinct = [...new Set(answered.map((a) => a.version))].sort(compareVersions);
  // Every instance answers the same version: nothing can be replaced for its version, so nothing needs trusting.
  const agreed = distinct.length === 1;
  if ((p.desiredVersion ?? DEFAULT_DESIRED_VERSION_SOURCE) === "manifest") {
    return agreed
      ? { source: "none" }
      : {
          source: "none",
          untrusted:
            `no release manifest names the version and the instances answer ${distinct.join(", ")} ` +
            "(policy desiredVersion: manifest): publish a release, or set desiredVersion to highest-observed",
        };
  }
  if (agreed) return { version: highest, source: "highest-observed" };
  if (onHighest.length < MIN_OBSERVED_FOR_TARGET) {
    return {
      source: "none",
      untrusted:
        `one instance cannot set the target: only ${onHighest.map((a) => a.id).join(", ")} answers ${highest}, ` +
        `the highest observed (at least ${MIN_OBSERVED_FOR_TARGET} must)`,
    };
  }
  const published = (snapshot.publishedVersions ?? []).flatMap((v) => normalizeVersion(v) ?? []).sort(compareVersions);
  const newest = published.at(-1);
  if (newest !== undefined && compareVersions(highest, newest) > 0) {
    return {
      source: "none",
      untrusted:
        `${highest}, the highest observed (on ${onHighest.map((a) => a.id).join(", ")}), is above every ` +
        `published release (the newest is ${newest}): it cannot be the target`,
    };
  }
  return { version: highest, source: "highest-observed" };
}

/**
 * Why an instance does not count as healthy, or undefined when it does: InService, Healthy in the ASG, `healthy` in
 * every listed target group (missing from one is not healthy), and a semantic version answered on /version.
 * `targetGroupArns` are the group's; by default, every target group the instance has health for.
 */
export function unhealthyWhy(
  instance: InstanceSnapshot,
  targetGroupArns: string[] = Object.keys(instance.lbHealth).sort(),
): string | undefined {
  const whys: string[] = [];
  if (instance.lifecycleState !== "InService") whys.push(`is ${instance.lifecycleState}`);
  if (instance.asgHealth !== "Healthy") whys.push(`is ${instance.asgHealth} in the Auto Scaling group`);
  for (const arn of targetGroupArns) {
    const state = instance.lbHealth[arn];
    if (state === undefined) whys.push(`is not registered in target group ${targetGroupName(arn)}`);
    else if (state !== "healthy") whys.push(`is ${state} in target group ${targetGroupName(arn)}`);
  }
  if (!instance.probe.ok) whys.push(`answered no version (${instance.probe.error})`);
  else if (versionOf(instance) === undefined) {
    whys.push(`answered ${JSON.stringify(instance.probe.version)}, which is not a semantic version`);
  }
  return whys.length === 0 ? undefined : whys.join(", ");
}

/** True when unhealthyWhy finds nothing wrong with the instance. */
export function isHealthy(instance: InstanceSnapshot, targetGroupArns?: string[]): boolean {
  return unhealthyWhy(instance, targetGroupArns) === undefined;
}

/** Hours between an instance's launch and readAt; undefined when either time is unreadable. */
export function instanceAgeHours(instance: Pick<InstanceSnapshot, "launchTime">, readAt: string): number | undefined {
  const age = Date.parse(readAt) - Date.parse(instance.launchTime);
  return Number.isNaN(age) ? undefined : age / HOUR_MS;
}

/**
 * Why an instance is stale: another version, another image, or older than the policy's age limit. An instance serving
 * the no-release placeholder is stale by version only against a manifest: without one, its replacement would find no
 * release either and boot the same placeholder, so replacing it would only churn.
 */
export function staleReasons(
  instance: InstanceSnapshot,
  desiredVersion: string | undefined,
  desiredImageId: string | undefined,
  readAt: string,
  p: GroupPolicy,
  versionSource: VersionSource = "manifest",
): StaleReason[] {
  const reasons: StaleReason[] = [];
  const version = versionOf(instance);
  const placeholderWithoutManifest = isUnreleased(version) && versionSource !== "manifest";
  // A different build of the same version is a different artifact: only the exact version is current.
  if (
    desiredVersion !== undefined &&
    version !== undefined &&
    !placeholderWithoutManifest &&
    !sameVersion(version, desiredVersion)
  ) {
    reasons.push("version");
  }
  if (desiredImageId !== undefined && instance.imageId !== desiredImageId) reasons.push("image");
  if (p.maxInstanceAgeHours !== undefined) {
    const age = instanceAgeHours(instance, readAt);
    if (age !== undefined && age > p.maxInstanceAgeHours) reasons.push("age");
  }
  return reasons;
}

/** The instance's answered version, normalized, when it is a semantic version. */
export function versionOf(instance: InstanceSnapshot): string | undefined {
  return instance.probe.ok ? normalizeVersion(instance.probe.version) : undefined;
}

function targetGroupName(arn: string): string {
  // arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
  const match = /:targetgroup\/([^/]+)\//.exec(arn);
  return match ? match[1] : arn;
}
