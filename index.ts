// Entry point of the Pulumi program: reads the stack's config once and builds one environment.
export {};
