// The CLI's ports onto AWS: one set of SDK clients per command, built on first use (so `--help`, `explain` and every
// check of the flags run without loading the SDK) and checked before the first call (a profile that does not exist,
// no region), so each command's errors about its own input come before anything about AWS.
import type { AwsClients } from "../aws/clients";
import { awsTimeouts } from "./aws-settings";
import { FleetAdapter, ObjectStore } from "../core/types";

export interface AwsPorts {
  fleet(): Promise<FleetAdapter>;
  /** The environment's release bucket: S3, the bucket named by SSM `/phoenix/<env>/release-bucket`. */
  store(environment: string): Promise<ObjectStore>;
}

/** Fleet and release store over the same clients, checked once. */
export function awsPorts(): AwsPorts {
  let ready: Promise<AwsClients> | undefined;
  const clients = () =>
    (ready ??= (async () => {
      const { createClients } = await import("../aws/clients");
      const { checkAwsSettings } = await import("../aws/settings");
      const built = createClients({}, awsTimeouts(process.env));
      await checkAwsSettings(built);
      return built;
    })());
  return {
    fleet: async () => {
      const { AwsFleet } = await import("../aws/fleet");
      return new AwsFleet(await clients());
    },
    store: async (environment) => {
      const { S3ObjectStore } = await import("../aws/s3-object-store");
      const { readReleaseBucket } = await import("../aws/parameters");
      const built = await clients();
      return new S3ObjectStore(built.s3, await readReleaseBucket(built.ssm, environment));
    },
  };
}
