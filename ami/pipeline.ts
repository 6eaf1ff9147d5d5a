// The monthly base image: an EC2 Image Builder pipeline per platform that starts from AWS's newest patched image,
// bakes in OS updates and the slow prerequisites, tests the result, and publishes the AMI id to SSM, where launch
// templates (`resolve:ssm:`) and the terminator (image drift) pick it up. Old images are retired by a lifecycle policy.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { environmentTags, IMAGE_TAGS, LIMITS, limitProblem, Platform, PLATFORMS } from "../runtime/contract";
import { platformImageParameterName, PUBLIC_IMAGE_ALIASES } from "./image-source";
import {
  DEFAULT_SCHEDULE_EXPRESSION,
  DEFAULT_START_CONDITION,
  parseMonthlyCron,
  ScheduleExpressionError,
  START_CONDITIONS,
  StartCondition,
} from "./schedule";

export { platformImageParameterName } from "./image-source";
export { DEFAULT_SCHEDULE_EXPRESSION, DEFAULT_START_CONDITION, START_CONDITIONS, StartCondition } from "./schedule";

/** Pipeline arguments that cannot be used; the message names the argument, the value and what is allowed. */
export class BaseImagePipelineArgsError extends Error {
  override name = "BaseImagePipelineArgsError";
}

export interface BaseImagePipelineArgs {
  /** Environment name (`live`, `test`, ...): names, tags and the parameter `/phoenix/<env>/base-image`. */
  environment: string;
  /** Platforms to build a base image for. The first is the primary one: it publishes `/phoenix/<env>/base-image`,
   *  which the tiers boot from and the terminator holds instances to; others publish `.../base-image-<platform>`.
   *  @default ["linux"] */
  platforms?: Platform[];
  /** Private subnet the build and test instances run in; it needs a route to AWS APIs and package repositories. */
  subnetId: pulumi.Input<string>;
  /** Security group of the build and test instances (egress only: nothing connects to them). */
  securityGroupId: pulumi.Input<string>;
  /** Other regions the AMI is copied to for disaster recovery; each gets the same SSM parameter. @default [] */
  drRegions?: string[];
  /** When the pipeline's start condition is checked (AWS cron, UTC). @default "cron(0 0 ? * wed#3 *)" */
  scheduleExpression?: string;
  /** Build only when the parent image or a component changed, or on every schedule match.
   *  @default "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE" */
  startCondition?: StartCondition;
  /** Newest images per platform kept active; older ones are deprecated (still launchable by id).
   *  @default LIMITS.imageKeepCount.fallback (3) */
  keepImageCount?: number;
  /** Images per platform kept at all, deprecated included; older ones are deleted with their snapshots.
   *  Must exceed keepImageCount. @default LIMITS.imageRetainCount.fallback (6) */
  retainImageCount?: number;
  /** An image used to launch an instance within this many days is neither deprecated nor deleted.
   *  @default LIMITS.imageInUseDays.fallback (45) */
  inUseWithinDays?: number;
  /** Instance types for build and test instances, per platform. @default linux ["t3.medium"], windows ["t3.large"] */
  instanceTypes?: Partial<Record<Platform, string[]>>;
  /** Root volume size in GiB, per platform. @default linux 20, windows 50 */
  rootVolumeSizeGiB?: Partial<Record<Platform, number>>;
  /** KMS key for the root volume and distributed AMIs. @default the account's default EBS key */
  kmsKeyId?: pulumi.Input<string>;
  /** Days build and pipeline logs are kept in CloudWatch Logs. @default 90 */
  logRetentionDays?: number;
  /** Minutes the test phase may take before the build fails. @default 90 */
  testTimeoutMinutes?: number;
  /** The AMI id the base-image parameter holds until the first build publishes one. Pulumi creates the parameter
   *  with it and then ignores its value, which the pipeline owns. @default the primary platform's public SSM alias
   *  (AWS's newest image), looked up at deploy */
  seedImageId?: pulumi.Input<string>;
  /** Tags added to every resource (and to the AMIs). */
  tags?: Record<string, string>;
}

/** Per platform: the AWS-managed parent image name, root device, defaults and the component document. */
interface PlatformSpec {
  /** Image Builder's platform name. */
  imageBuilderPlatform: "Linux" | "Windows";
  /** AWS-managed image name in `arn:<partition>:imagebuilder:<region>:aws:image/<name>/x.x.x`. */
  awsImageName: string;
  rootDeviceName: string;
  instanceTypes: string[];
  rootVolumeSizeGiB: number;
  document: string;
}

const DOCUMENTS: Record<Platform, string> = {
  linux: "linux-component.yaml",
  windows: "windows-component.yaml",
};

/** The component document shipped in ami/ for a platform, as Image Builder receives it. */
export function componentDocument(platform: Platform): string {
  return fs.readFileSync(path.join(__dirname, DOCUMENTS[platform]), "utf8");
}

const PLATFORM_SPECS: Record<Platform, Omit<PlatformSpec, "document">> = {
  linux: {
    imageBuilderPlatform: "Linux",
    awsImageName: "amazon-linux-2023-x86",
    rootDeviceName: "/dev/xvda",
    instanceTypes: ["t3.medium"],
    rootVolumeSizeGiB: 20,
  },
  windows: {
    imageBuilderPlatform: "Windows",
    awsImageName: "windows-server-2022-english-full-base-x86",
    rootDeviceName: "/dev/sda1",
    instanceTypes: ["t3.large"],
    rootVolumeSizeGiB: 50,
  },
};

/**
 * The ARN of an AWS-managed parent image by semantic-version wildcard, so that every build starts from the newest
 * patched image AWS published, in whatever partition and region the stack runs.
 */
export function awsManagedImageArn(partition: string, region: string, platform: Platform): string {
  return `arn:${partition}:imagebuilder:${region}:aws:image/${PLATFORM_SPECS[platform].awsImageName}/x.x.x`;
}

/**
 * An Image Builder semantic version derived from content: Image Builder components and recipes are immutable, so a
 * changed document needs a new version, and the same document must keep its version so Pulumi replaces nothing.
 * Each part may be at most 2^30 - 1; 28 bits of the hash fit.
 */
export function contentVersion(...parts: string[]): string {
  const hash = crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `1.0.${parseInt(hash.slice(0, 7), 16)}`;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ENVIRONMENT = /^[a-z][a-z0-9-]{0,30}$/;

/** Checks the arguments before anything is created; throws BaseImagePipelineArgsError naming what to change. */
export function validateBaseImagePipelineArgs(args: BaseImagePipelineArgs): void {
  const fail = (message: string) => {
    throw new BaseImagePipelineArgsError(message);
  };
  if (!ENVIRONMENT.test(args.environment)) {
    fail(`environment "${args.environment}" must be lowercase letters, digits and dashes (at most 31), e.g. "test".`);
  }
  const platforms = args.platforms ?? ["linux"];
  if (platforms.length === 0) fail(`platforms is empty; list at least one of ${PLATFORMS.join(", ")}.`);
  for (const p of platforms) {
    if (!PLATFORMS.includes(p)) fail(`platform "${String(p)}" is not one of ${PLATFORMS.join(", ")}.`);
  }
  if (new Set(platforms).size !== platforms.length) fail(`platforms [${platforms.join(", ")}] lists one twice.`);
  for (const r of args.drRegions ?? []) {
    if (!REGION.test(r)) fail(`drRegions entry "${r}" is not an AWS region name such as "eu-west-1".`);
  }
  if (new Set(args.drRegions ?? []).size !== (args.drRegions ?? []).length) {
    fail(`drRegions [${(args.drRegions ?? []).join(", ")}] lists a region twice.`);
  }
  try {
    parseMonthlyCron(args.scheduleExpression ?? DEFAULT_SCHEDULE_EXPRESSION);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) fail(`scheduleExpression: ${error.message}`);
    throw error;
  }
  if (args.startCondition !== undefined && !START_CONDITIONS.includes(args.startCondition)) {
    fail(`startCondition "${String(args.startCondition)}" is not one of ${START_CONDITIONS.join(", ")}.`);
  }
  const keep = args.keepImageCount ?? LIMITS.imageKeepCount.fallback;
  const retain = args.retainImageCount ?? LIMITS.imageRetainCount.fallback;
  const inUse = args.inUseWithinDays ?? LIMITS.imageInUseDays.fallback;
  const keepProblem = limitProblem("imageKeepCount", keep);
  if (keepProblem !== undefined) fail(`keepImageCount ${keep} ${keepProblem}.`);
  if (!Number.isInteger(retain) || retain <= keep || retain > LIMITS.imageRetainCount.max) {
    fail(
      `retainImageCount ${retain} must be a whole number greater than keepImageCount (${keep}) and at most ` +
        `${LIMITS.imageRetainCount.max}.`,
    );
  }
  const inUseProblem = limitProblem("imageInUseDays", inUse);
  if (inUseProblem !== undefined) fail(`inUseWithinDays ${inUse} days ${inUseProblem}.`);
  const timeout = args.testTimeoutMinutes ?? 90;
  if (!Number.isInteger(timeout) || timeout < 60 || timeout > 1440) {
    fail(`testTimeoutMinutes ${timeout} must be from 60 to 1440 (Image Builder's limits).`);
  }
}

/** One platform's pipeline, exposed for stack outputs and tests. */
export interface PlatformPipeline {
  platform: Platform;
  pipelineArn: pulumi.Output<string>;
  /** The SSM parameter the pipeline writes the new AMI id to, in the home region and every DR region. */
  parameterName: string;
  recipeArn: pulumi.Output<string>;
}

export class BaseImagePipeline extends pulumi.ComponentResource {
  /** Pipelines by platform. */
  readonly pipelines: PlatformPipeline[];
  /** The parameter name per platform (`/phoenix/<env>/base-image` for the primary one). */
  readonly parameterNames: Record<string, string>;
  readonly instanceProfileName: pulumi.Output<string>;
  readonly lifecyclePolicyArn: pulumi.Output<string>;
  /** `/phoenix/<env>/base-image`, created with the seed image so that tiers can launch before the first build:
   *  make launch templates that resolve it depend on this. */
  readonly baseImageParameter: aws.ssm.Parameter;

  constructor(name: string, args: BaseImagePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:ami:BaseImagePipeline", name, {}, opts);
    validateBaseImagePipelineArgs(args);
    const env = args.environment;
    const platforms = args.platforms ?? ["linux"];
    const drRegions = args.drRegions ?? [];
    const tags = { ...(args.tags ?? {}), ...environmentTags(env) };
    const parent = { parent: this };

    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent).region;
    const managedPolicy = (policyName: string) =>
      pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${policyName}`;

    // Build and test instances: a role with exactly what Image Builder needs (SSM to drive the instance, the
    // Image Builder instance policy for components and logs), nothing the components themselves might want.
    const instanceRole = new aws.iam.Role(
      `${name}-instance`,
      {
        description: `phoenix ${env}: Image Builder build and test instances`,
        assumeRolePolicy: partition.dnsSuffix.apply((dnsSuffix) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: `ec2.${dnsSuffix}` }, Action: "sts:AssumeRole" }],
          }),
        ),
        tags,
      },
      parent,
    );
    for (const policyName of ["AmazonSSMManagedInstanceCore", "EC2InstanceProfileForImageBuilder"]) {
      new aws.iam.RolePolicyAttachment(
        `${name}-instance-${policyName}`,
        { role: instanceRole.name, policyArn: managedPolicy(policyName) },
        parent,
      );
    }
    const instanceProfile = new aws.iam.InstanceProfile(`${name}-instance`, { role: instanceRole.name, tags }, parent);

    // Launch templates resolve the parameter at every launch, so it must exist before the first build finishes
    // (a fresh environment, or one rebuilt elsewhere). Created once with the seed image; from then on the pipeline
    // owns its value. Creation fails if the parameter already exists (a DR region the pipeline already publishes to):
    // import it instead, keeping the patched image it names (README, disaster recovery).
    // Under Pulumi mocks this lookup is the invoke `aws:ssm/getParameter:getParameter`: a harness that does not
    // answer it leaves the parameter, and every tier that depends on it, unregistered (a hang, not an error).
    const seedImageId =
      args.seedImageId ?? aws.ssm.getParameterOutput({ name: PUBLIC_IMAGE_ALIASES[platforms[0]] }, parent).value;
    const baseImageParameter = new aws.ssm.Parameter(
      `${name}-base-image`,
      {
        name: platformImageParameterName(env, platforms[0], platforms[0]),
        type: "String",
        dataType: "aws:ec2:image",
        value: seedImageId,
        overwrite: false,
        description: `phoenix ${env}: the AMI every instance must run; written by the ${platforms[0]} image pipeline`,
        tags,
      },
      { parent: this, ignoreChanges: ["value"] },
    );

    const parameterNames: Record<string, string> = {};
    const pipelines: PlatformPipeline[] = [];
    const recipes: aws.imagebuilder.ImageRecipe[] = [];
    for (const platform of platforms) {
      const spec: PlatformSpec = {
        ...PLATFORM_SPECS[platform],
        instanceTypes: args.instanceTypes?.[platform] ?? PLATFORM_SPECS[platform].instanceTypes,
        rootVolumeSizeGiB: args.rootVolumeSizeGiB?.[platform] ?? PLATFORM_SPECS[platform].rootVolumeSizeGiB,
        document: componentDocument(platform),
      };
      const parameterName = platformImageParameterName(env, platform, platforms[0]);
      parameterNames[platform] = parameterName;
      const baseName = `phoenix-${env}-${platform}`;
      const componentVersion = contentVersion(spec.document);

      const component = new aws.imagebuilder.Component(
        `${name}-${platform}`,
        {
          name: `${baseName}-base`,
          platform: spec.imageBuilderPlatform,
          version: componentVersion,
          data: spec.document,
          description: `phoenix ${env}: OS updates and prerequisites for ${platform} instances, checked before use`,
          changeDescription: `document ${componentVersion}`,
          tags,
        },
        parent,
      );

      const parentImage = pulumi
        .all([partition.partition, region])
        .apply(([p, r]) => awsManagedImageArn(p, r, platform));
      const recipeVersion = contentVersion(
        componentVersion,
        spec.awsImageName,
        spec.rootDeviceName,
        String(spec.rootVolumeSizeGiB),
        // The KMS key is an Input; a changed key shows as a recipe diff Pulumi resolves by replacement anyway.
        args.kmsKeyId === undefined ? "default-key" : "custom-key",
      );
      const recipe = new aws.imagebuilder.ImageRecipe(
        `${name}-${platform}`,
        {
          name: baseName,
          version: recipeVersion,
          parentImage,
          components: [{ componentArn: component.arn }],
          blockDeviceMappings: [
            {
              deviceName: spec.rootDeviceName,
              ebs: {
                encrypted: "true",
                kmsKeyId: args.kmsKeyId,
                volumeType: "gp3",
                volumeSize: spec.rootVolumeSizeGiB,
                deleteOnTermination: "true",
              },
            },
          ],
          description: `phoenix ${env}: newest AWS ${platform} image plus phoenix prerequisites`,
          tags,
        },
        parent,
      );

      const infrastructure = new aws.imagebuilder.InfrastructureConfiguration(
        `${name}-${platform}`,
        {
          name: baseName,
          description: `phoenix ${env}: private, IMDSv2-only build instances that never outlive a failed build`,
          instanceProfileName: instanceProfile.name,
          instanceTypes: spec.instanceTypes,
          subnetId: args.subnetId,
          securityGroupIds: [args.securityGroupId],
          terminateInstanceOnFailure: true,
          instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
          resourceTags: tags,
          tags,
        },
        parent,
      );

      const amiTags = { ...tags, [IMAGE_TAGS.platform]: platform, [IMAGE_TAGS.baseImage]: "true" };
      const distribution = new aws.imagebuilder.DistributionConfiguration(
        `${name}-${platform}`,
        {
          name: baseName,
          description: `phoenix ${env}: publish the ${platform} AMI id to ${parameterName} here and in DR regions`,
          distributions: pulumi.output(region).apply((home) =>
            [home, ...drRegions.filter((r) => r !== home)].map((r) => ({
              region: r,
              amiDistributionConfiguration: {
                name: `${baseName}-{{ imagebuilder:buildDate }}`,
                description: `phoenix ${env} ${platform} base image`,
                kmsKeyId: r === home ? args.kmsKeyId : undefined,
                amiTags,
              },
              ssmParameterConfigurations: [{ parameterName, dataType: "aws:ec2:image" }],
            })),
          ),
          tags,
        },
        parent,
      );

      const imageLogGroup = new aws.cloudwatch.LogGroup(
        `${name}-${platform}-image-logs`,
        { name: `/aws/imagebuilder/${baseName}`, retentionInDays: args.logRetentionDays ?? 90, tags },
        parent,
      );
      const pipelineLogGroup = new aws.cloudwatch.LogGroup(
        `${name}-${platform}-pipeline-logs`,
        { name: `/aws/imagebuilder/pipeline/${baseName}`, retentionInDays: args.logRetentionDays ?? 90, tags },
        parent,
      );

      const pipeline = new aws.imagebuilder.ImagePipeline(
        `${name}-${platform}`,
        {
          name: baseName,
          description: `phoenix ${env}: monthly ${platform} base image after Patch Tuesday`,
          imageRecipeArn: recipe.arn,
          infrastructureConfigurationArn: infrastructure.arn,
          distributionConfigurationArn: distribution.arn,
          status: "ENABLED",
          enhancedImageMetadataEnabled: true,
          schedule: {
            scheduleExpression: args.scheduleExpression ?? DEFAULT_SCHEDULE_EXPRESSION,
            pipelineExecutionStartCondition: args.startCondition ?? DEFAULT_START_CONDITION,
          },
          imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: args.testTimeoutMinutes ?? 90 },
          loggingConfiguration: {
            imageLogGroupName: imageLogGroup.name,
            pipelineLogGroupName: pipelineLogGroup.name,
          },
          tags,
        },
        parent,
      );
      pipelines.push({ platform, pipelineArn: pipeline.arn, parameterName, recipeArn: recipe.arn });
      recipes.push(recipe);
    }

    // Retiring old images: its own role, trusted by Image Builder only, with AWS's lifecycle execution policy.
    const lifecycleRole = new aws.iam.Role(
      `${name}-lifecycle`,
      {
        description: `phoenix ${env}: Image Builder deprecates and deletes old base images`,
        assumeRolePolicy: partition.dnsSuffix.apply((dnsSuffix) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { Service: `imagebuilder.${dnsSuffix}` }, Action: "sts:AssumeRole" },
            ],
          }),
        ),
        tags,
      },
      parent,
    );
    const lifecycleAttachment = new aws.iam.RolePolicyAttachment(
      `${name}-lifecycle`,
      { role: lifecycleRole.name, policyArn: managedPolicy("service-role/EC2ImageBuilderLifecycleExecutionPolicy") },
      parent,
    );
    const inUse = {
      amis: { lastLaunched: { unit: "DAYS", value: args.inUseWithinDays ?? LIMITS.imageInUseDays.fallback } },
    };
    const lifecyclePolicy = new aws.imagebuilder.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        name: `phoenix-${env}-base-images`,
        description: `phoenix ${env}: deprecate all but the newest images, delete the oldest, spare recently launched`,
        executionRole: lifecycleRole.arn,
        resourceType: "AMI_IMAGE",
        status: "ENABLED",
        resourceSelection: {
          recipes: platforms.map((platform) => ({ name: `phoenix-${env}-${platform}`, semanticVersion: "x.x.x" })),
        },
        policyDetails: [
          {
            action: { type: "DEPRECATE", includeResources: { amis: true } },
            filter: { type: "COUNT", value: args.keepImageCount ?? LIMITS.imageKeepCount.fallback },
            exclusionRules: inUse,
          },
          {
            action: { type: "DELETE", includeResources: { amis: true, snapshots: true } },
            filter: { type: "COUNT", value: args.retainImageCount ?? LIMITS.imageRetainCount.fallback },
            exclusionRules: inUse,
          },
        ],
        tags,
      },
      // Its selection names the recipes: they exist first, and the role can act before the first run.
      { parent: this, dependsOn: [lifecycleAttachment, ...recipes] },
    );

    this.pipelines = pipelines;
    this.parameterNames = parameterNames;
    this.instanceProfileName = instanceProfile.name;
    this.lifecyclePolicyArn = lifecyclePolicy.arn;
    this.baseImageParameter = baseImageParameter;
    this.registerOutputs({
      pipelines: pipelines.map((p) => ({
        platform: p.platform,
        pipelineArn: p.pipelineArn,
        parameterName: p.parameterName,
      })),
      parameterNames,
      instanceProfileName: this.instanceProfileName,
      lifecyclePolicyArn: this.lifecyclePolicyArn,
    });
  }
}
