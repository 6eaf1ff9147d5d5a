// The AWS side of verifying a desired state (runtime/ops/verify.ts asks, this answers): whether the release bucket is
// the environment's own (its `phoenix:environment` tag, which the stack's provider puts on every resource), whether an
// artifact exists (HeadObject), what state an image is in here (DescribeImages), and which versions are published.
// A question AWS does not answer (denied, throttled, timed out) throws FleetReadError naming the call.
import { GetBucketTaggingCommand } from "@aws-sdk/client-s3";
import { RELEASES_PREFIX, recordKeyVersion, releaseBucketParameterName, TAGS } from "../contract";
import { DesiredStateChecks } from "../core/types";
import { AwsClients, sdk } from "./clients";
import { errorName, step } from "./errors";
import { readRecoveryOf } from "./parameters";
import { S3ObjectStore } from "./s3-object-store";

/** EC2's answers for an id that names no image it can describe here. */
const NO_SUCH_IMAGE = /^InvalidAMIID\.(NotFound|Unavailable|Malformed)$/;

export class AwsDesiredStateChecks implements DesiredStateChecks {
  constructor(private readonly clients: AwsClients) {}

  /**
   * The bucket's `phoenix:environment` tag must name the environment; a bucket with no tags at all is foreign too. A
   * recovery stack serves from the replica of the environment it recovers, which that environment's stack tagged: its
   * own `/phoenix/<env>/recovery-of` must then name the tag's environment.
   */
  async storeProblem(environment: string, bucket: string): Promise<string | undefined> {
    const tags = await step("GetBucketTagging (is the release bucket this environment's?)", environment, async () => {
      try {
        const out = await this.clients.s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
        return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
      } catch (err) {
        if (errorName(err) === "NoSuchTagSet") return {};
        throw err;
      }
    });
    const value = tags[TAGS.environment];
    if (value === environment) return undefined;
    if (value !== undefined) {
      const recovers = await step("GetParameter (does this environment recover another?)", environment, () =>
        readRecoveryOf(this.clients.ssm, environment),
      );
      if (recovers === value) return undefined;
    }
    return (
      `release bucket ${bucket}, named by ${releaseBucketParameterName(environment)}, is not environment ` +
      `"${environment}"'s: its tag ${TAGS.environment} is ${value === undefined ? "missing" : JSON.stringify(value)}; ` +
      "point the parameter at the environment's own bucket (pulumi up rewrites it)"
    );
  }

  async artifactExists(bucket: string, key: string): Promise<boolean> {
    const head = await step(`HeadObject ${key}`, "", () => new S3ObjectStore(this.clients.s3, bucket).head(key));
    return head !== undefined;
  }

  async imageState(imageId: string): Promise<string | undefined> {
    return step(`DescribeImages ${imageId}`, "", async () => {
      const { DescribeImagesCommand } = sdk.ec2();
      try {
        const out = await this.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
        return out.Images?.find((i) => i.ImageId === imageId)?.State;
      } catch (err) {
        if (NO_SUCH_IMAGE.test(errorName(err))) return undefined;
        throw err;
      }
    });
  }

  async publishedVersions(bucket: string): Promise<string[]> {
    const keys = await step("list the published releases", "", () =>
      new S3ObjectStore(this.clients.s3, bucket).list(RELEASES_PREFIX),
    );
    return keys.flatMap((key) => recordKeyVersion(key) ?? []);
  }
}
