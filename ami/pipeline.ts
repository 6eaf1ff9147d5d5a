// The monthly base image: an EC2 Image Builder pipeline per platform that starts from AWS's newest patched image,
// bakes in OS updates and the slow prerequisites, tests the result, and publishes the AMI id to SSM, where launch
// templates (`resolve:ssm:`) and the terminator (image drift) pick it up. Old images are retired by a lifecycle policy.
// This file composes the pieces: args.ts (defaults, validation), recipe.ts (documents, parent image, versions),
// infrastructure.ts (roles, build instances), distribution.ts (parameters, DR copies, retirement).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { environmentTags, Platform } from "../runtime/contract";
import { BaseImagePipelineArgs, ResolvedBaseImagePipelineArgs, validateBaseImagePipelineArgs } from "./args";
import { buildDistribution, buildLifecyclePolicy, seedBaseImageParameter } from "./distribution";
import { platformImageParameterName } from "./image-source";
import { buildInfrastructure, buildInstanceProfile, lifecycleRole } from "./infrastructure";
import { baseImageRecipe, recipeName } from "./recipe";

export { BaseImagePipelineArgs, BaseImagePipelineArgsError, validateBaseImagePipelineArgs } from "./args";
export { platformImageParameterName } from "./image-source";
export { DEFAULT_SCHEDULE_EXPRESSION, DEFAULT_START_CONDITION, START_CONDITIONS, StartCondition } from "./schedule";

/** One platform's pipeline, exposed for stack outputs and tests. */
export interface PlatformPipeline {
  /** The platform this pipeline builds. */
  platform: Platform;
  /** The pipeline's ARN: `aws imagebuilder start-image-pipeline-execution --image-pipeline-arn <it>` builds now. */
  pipelineArn: pulumi.Output<string>;
  /** The SSM parameter the pipeline writes the new AMI id to, in the home region and every DR region. */
  parameterName: string;
  /** The recipe the pipeline builds (a new version whenever the document or the root volume changes). */
  recipeArn: pulumi.Output<string>;
}

/** The monthly base image of an environment: one Image Builder pipeline per platform, and the parameter it feeds. */
export class BaseImagePipeline extends pulumi.ComponentResource {
  /** One pipeline per platform, the primary first: start one by hand from its ARN. */
  readonly pipelines: PlatformPipeline[];
  /** The parameter name per platform (`/phoenix/<env>/base-image` for the primary one): what launch templates read. */
  readonly parameterNames: Record<string, string>;
  /** The build and test instances' profile: the only identity a build runs with. */
  readonly instanceProfileName: pulumi.Output<string>;
  /** The policy that deprecates and deletes old images; its history shows what was retired. */
  readonly lifecyclePolicyArn: pulumi.Output<string>;
  /** `/phoenix/<env>/base-image`, created with the seed image so that tiers can launch before the first build:
   *  make launch templates that resolve it depend on this. */
  readonly baseImageParameter: aws.ssm.Parameter;

  constructor(name: string, input: BaseImagePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:ami:BaseImagePipeline", name, {}, opts);
    const args = validateBaseImagePipelineArgs(input);
    const env = args.environment;
    const platforms = args.platforms;
    const primary = platforms[0];
    const tags = { ...args.tags, ...environmentTags(env) };

    const partition = aws.getPartitionOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const instanceProfile = buildInstanceProfile(name, { environment: env, partition, tags }, this);
    const baseImageParameter = seedBaseImageParameter(
      name,
      {
        environment: env,
        primary,
        parameterName: platformImageParameterName(env, primary, primary),
        seedImageId: args.seedImageId,
        tags,
      },
      this,
    );

    const parameterNames: Record<string, string> = {};
    const pipelines: PlatformPipeline[] = [];
    const recipes: aws.imagebuilder.ImageRecipe[] = [];
    for (const platform of platforms) {
      const parameterName = platformImageParameterName(env, platform, primary);
      parameterNames[platform] = parameterName;
      const recipe = baseImageRecipe(
        name,
        {
          environment: env,
          platform,
          rootVolumeSizeGiB: args.rootVolumeSizeGiB[platform],
          kmsKeyId: args.kmsKeyId,
          partition: partition.partition,
          region,
          tags,
        },
        this,
      );
      const infrastructure = buildInfrastructure(
        name,
        {
          environment: env,
          platform,
          instanceProfileName: instanceProfile.name,
          instanceTypes: args.instanceTypes[platform],
          subnetId: args.subnetId,
          securityGroupId: args.securityGroupId,
          tags,
        },
        this,
      );
      const distribution = buildDistribution(
        name,
        {
          environment: env,
          platform,
          region,
          drRegions: args.drRegions,
          parameterName,
          kmsKeyId: args.kmsKeyId,
          tags,
        },
        this,
      );
      const pipeline = this.pipeline(name, args, platform, recipe, infrastructure, distribution, tags);
      pipelines.push({ platform, pipelineArn: pipeline.arn, parameterName, recipeArn: recipe.arn });
      recipes.push(recipe);
    }

    // Retiring old images: its own role, trusted by Image Builder only, with AWS's lifecycle execution policy.
    const retirement = lifecycleRole(name, { environment: env, partition, tags }, this);
    const lifecyclePolicy = buildLifecyclePolicy(
      name,
      {
        environment: env,
        platforms,
        keepImageCount: args.keepImageCount,
        retainImageCount: args.retainImageCount,
        inUseWithinDays: args.inUseWithinDays,
        role: retirement.role,
        tags,
      },
      this,
      [retirement.attachment, ...recipes],
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

  /** One platform's pipeline: its schedule, image tests, and build and pipeline logs with retention. */
  private pipeline(
    name: string,
    args: ResolvedBaseImagePipelineArgs,
    platform: Platform,
    recipe: aws.imagebuilder.ImageRecipe,
    infrastructure: aws.imagebuilder.InfrastructureConfiguration,
    distribution: aws.imagebuilder.DistributionConfiguration,
    tags: Record<string, string>,
  ): aws.imagebuilder.ImagePipeline {
    const parent = { parent: this };
    const env = args.environment;
    const baseName = recipeName(env, platform);
    const imageLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-${platform}-image-logs`,
      { name: `/aws/imagebuilder/${baseName}`, retentionInDays: args.logRetentionDays, tags },
      parent,
    );
    const pipelineLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-${platform}-pipeline-logs`,
      { name: `/aws/imagebuilder/pipeline/${baseName}`, retentionInDays: args.logRetentionDays, tags },
      parent,
    );
    return new aws.imagebuilder.ImagePipeline(
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
          scheduleExpression: args.scheduleExpression,
          pipelineExecutionStartCondition: args.startCondition,
        },
        imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: args.testTimeoutMinutes },
        loggingConfiguration: {
          imageLogGroupName: imageLogGroup.name,
          pipelineLogGroupName: pipelineLogGroup.name,
        },
        tags,
      },
      parent,
    );
  }
}
