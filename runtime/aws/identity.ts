// Who the credentials are (sts:GetCallerIdentity, which needs no permission): what `phoenix promote --force` records
// in the target's release record as having skipped the gate.
import type { AwsClients } from "./clients";
import { sdk } from "./clients";

/** The caller's ARN, as STS names it (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for a role). */
export async function callerArn(clients: AwsClients): Promise<string> {
  const { GetCallerIdentityCommand } = sdk.sts();
  const who = await clients.sts.send(new GetCallerIdentityCommand({}));
  if (who.Arn === undefined || who.Arn === "") {
    throw new Error("sts:GetCallerIdentity answered without an ARN: --force cannot record who skipped the gate");
  }
  return who.Arn;
}
