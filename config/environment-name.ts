// What an environment (stack) name may be: it names buckets, load balancers and target groups, so their rules bind it.
// Its own module because the stack's name and recoverFrom (config/recovery.ts) are both checked against it; the rule
// itself lives in the contract, where the CLI's --env check reads it too.

/** Why a stack name cannot be an environment name, or undefined when it can. */
export { environmentNameProblem as environmentProblem } from "../runtime/contract";
