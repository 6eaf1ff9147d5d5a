// Verifying the desired state, the step between reading the fleet and planning: a manifest, an image id and a release
// store are acted on only once checked. For each tier the manifest must name an artifact and that artifact must exist;
// the base image must look like an AMI id and be available in this region; the release store must be this
// environment's own. What fails is written into the snapshot (`verification`), and the planner leaves the affected
// tiers alone, saying why. Answers that cannot change for a version or an id are remembered by the verifier, so the
// Lambda (one verifier per execution environment) asks once per version and image, the CLI once per run.
import { AMI_ID_PATTERN, baseImageParameterName, DEFAULT_DESIRED_VERSION_SOURCE, IMAGE_AVAILABLE } from "../contract";
import { errorText, FleetReadError } from "../core/errors";
import { effectivePolicy } from "../core/planner";
import { isRolledBack, rolledBackWhy } from "../core/rollback";
import { DesiredStateChecks, FleetState, GroupState, Policy, Verification } from "../core/types";

export class DesiredStateVerifier {
  /** Object keys (store and key) known to exist: a published artifact is immutable. */
  private readonly artifacts: Set<string>;
  /** Image ids known available. */
  private readonly images: Set<string>;
  /** Stores known to be an environment's own (environment and store). */
  private readonly stores: Set<string>;

  /** `checks` undefined: nothing can be verified, so any manifest or image leaves its tiers alone. */
  constructor(private readonly checks: DesiredStateChecks | undefined) {
    // Assigned here, not as field initializers: the Lambda's closure serializer drops those.
    this.artifacts = new Set();
    this.images = new Set();
    this.stores = new Set();
  }

  /**
   * Records artifacts someone has just seen exist in `store` (the release handler checks its manifest's before it
   * reads the fleet), so that verifying the same release does not ask again.
   */
  artifactsExist(store: string, keys: string[]): void {
    for (const key of keys) this.artifacts.add(`${store}\n${key}`);
  }

  /**
   * The state with its verification (and, when a tier takes the highest observed version without a manifest, the
   * published versions). Throws FleetReadError when a check cannot be answered: nothing may act on a partial view.
   */
  async verify<G extends GroupState>(
    state: FleetState<G>,
    policy: Policy,
  ): Promise<FleetState<G> & { verification: Verification }> {
    try {
      return await this.verifyOrThrow(state, policy);
    } catch (err) {
      if (err instanceof FleetReadError) throw err;
      throw new FleetReadError(
        `cannot verify the desired state of environment "${state.environment}": ${errorText(err)}; nothing was ` +
          "terminated",
        { cause: err },
      );
    }
  }

  private async verifyOrThrow<G extends GroupState>(
    state: FleetState<G>,
    policy: Policy,
  ): Promise<FleetState<G> & { verification: Verification }> {
    const tiers = [...new Set(state.groups.map((g) => g.tier))].sort();
    const verification: Verification = {};
    const [store, image] = await Promise.all([this.storeProblem(state), this.imageProblem(state)]);
    if (store !== undefined) verification.store = store;
    if (image !== undefined) verification.image = image;
    // A version an automatic rollback left is not rolled out again until a newer one is published.
    if (state.rollback !== undefined && isRolledBack(state.rollback, state.desiredVersion)) {
      verification.release = rolledBackWhy(state.rollback);
    }
    // A foreign store's artifacts prove nothing; its problem already covers every tier.
    if (store === undefined && state.desiredVersion !== undefined) {
      const problems = await Promise.all(tiers.map((tier) => this.artifactProblem(state, tier)));
      const byTier = Object.fromEntries(
        tiers.flatMap((tier, i) => (problems[i] === undefined ? [] : [[tier, problems[i]] as const])),
      );
      if (Object.keys(byTier).length > 0) verification.tiers = byTier;
    }
    const needsPublished =
      state.desiredVersion === undefined &&
      store === undefined &&
      state.releaseStore !== undefined &&
      this.checks !== undefined &&
      tiers.some(
        (t) => (effectivePolicy(policy, t).desiredVersion ?? DEFAULT_DESIRED_VERSION_SOURCE) === "highest-observed",
      );
    const publishedVersions = needsPublished ? await this.checks.publishedVersions(state.releaseStore!) : undefined;
    return { ...state, ...(publishedVersions !== undefined && { publishedVersions }), verification };
  }

  private async storeProblem(state: FleetState<GroupState>): Promise<string | undefined> {
    const store = state.releaseStore;
    if (store === undefined) return undefined;
    if (this.checks === undefined) return `release store ${store} cannot be checked by this fleet adapter`;
    const key = `${state.environment}\n${store}`;
    if (this.stores.has(key)) return undefined;
    const problem = await this.checks.storeProblem(state.environment, store);
    if (problem === undefined) this.stores.add(key);
    return problem;
  }

  private async imageProblem(state: FleetState<GroupState>): Promise<string | undefined> {
    const id = state.desiredImageId;
    if (id === undefined) return undefined;
    const parameter = baseImageParameterName(state.environment);
    if (!AMI_ID_PATTERN.test(id)) {
      return (
        `${parameter} holds ${JSON.stringify(id)}, which is not an AMI id (ami- and 8 or 17 hex digits): write the id ` +
        "of an available image to it"
      );
    }
    if (this.images.has(id)) return undefined;
    if (this.checks === undefined) return `image ${id} (${parameter}) cannot be checked by this fleet adapter`;
    const status = await this.checks.imageState(id);
    if (status === IMAGE_AVAILABLE) {
      this.images.add(id);
      return undefined;
    }
    return (
      `${parameter} names ${id}, which is ${status === undefined ? "no image in this region" : `${status}, not available`}: ` +
      "write the id of an available image to it"
    );
  }

  private async artifactProblem(state: FleetState<GroupState>, tier: string): Promise<string | undefined> {
    const version = state.desiredVersion!;
    const key = state.desiredArtifacts?.[tier];
    if (key === undefined) {
      return (
        `the manifest (version ${version}) names no artifact for tier ${tier}, so a replacement would install ` +
        `nothing: publish a release with --artifact ${tier}=<zip>`
      );
    }
    const store = state.releaseStore ?? "";
    const remembered = `${store}\n${key}`;
    if (this.artifacts.has(remembered)) return undefined;
    if (this.checks === undefined) return `artifact ${key} cannot be checked by this fleet adapter`;
    if (await this.checks.artifactExists(store, key)) {
      this.artifacts.add(remembered);
      return undefined;
    }
    return (
      `the manifest names version ${version}, whose ${tier} artifact ${key} does not exist in ` +
      `${state.releaseStore ?? "the release store"}: ` +
      `re-run \`phoenix release\` for ${version}, or roll back`
    );
  }
}
