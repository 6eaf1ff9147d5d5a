// Runs a test with some of process.env replaced, and puts every variable back afterwards, whatever happens. For code
// that reads the environment itself, as the AWS SDK's region and profile chains do.

/** Calls `fn` with each of `vars` set (or, when undefined, unset), then restores process.env as it was. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** An environment with no AWS settings at all: no region, profile or keys, shared files at `dir`, no EC2 metadata. */
export function noAwsSettings(dir: string): Record<string, string | undefined> {
  return {
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_CONFIG_FILE: `${dir}/config`,
    AWS_SHARED_CREDENTIALS_FILE: `${dir}/credentials`,
    // Never ask 169.254.169.254: tests stay on loopback.
    AWS_EC2_METADATA_DISABLED: "true",
  };
}
