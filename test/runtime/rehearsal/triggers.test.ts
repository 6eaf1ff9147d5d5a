// Follow-up sweeps in the rehearsal: the surge scenario, driven by the deployed entry point with the SQS delay queue
// simulated, converges with follow-ups delivered as SQS events, and no later than the same run without them. The
// events the triggers send are the ones the deployed EventBridge rules match.
import * as assert from "node:assert/strict";
import { Measurement, RehearsalResult } from "../../../runtime/rehearsal/measurement";
import { runRehearsal } from "../../../runtime/rehearsal/rehearsal";
import { NEW_VERSION } from "../../../runtime/rehearsal/scenarios";
import { LIMITS } from "../../../runtime/contract";
import { alarmEventPattern, instanceEventPattern } from "../../../components/rollout/events";
import { AlarmState } from "../../../runtime/core/types";
import { Prng, SimClock } from "../../../runtime/rehearsal/clock";
import { DiskObjectStore } from "../../../runtime/rehearsal/disk-store";
import { FleetEvent } from "../../../runtime/rehearsal/instance-lifecycle";
import { LoadModel } from "../../../runtime/rehearsal/load";
import { LocalFleet } from "../../../runtime/rehearsal/local-fleet";
import { LocalRolloutLambda } from "../../../runtime/rehearsal/rollout-lambda";
import { Triggers } from "../../../runtime/rehearsal/triggers";
import { scratchDir } from "../../support/scratch-dir";

describe("follow-up sweeps in the rehearsal", () => {
  const tmp = scratchDir("phoenix-follow-up-test-");
  let withFollowUps: RehearsalResult;
  let without: RehearsalResult;
  const sources: string[] = [];

  before(async () => {
    withFollowUps = await runRehearsal({
      scenario: "surge",
      workDir: tmp("with"),
      observer: { log: (_at, source) => sources.push(source) },
    });
    without = await runRehearsal({ scenario: "surge", workDir: tmp("without"), followUps: false });
  });

  it("the surge scenario converges at full capacity with follow-up sweeps delivered from the queue", () => {
    assert.equal(withFollowUps.ok, true, withFollowUps.outcome);
    assert.ok(withFollowUps.followUps > 0, "no follow-up sweep ran");
    assert.ok(sources.includes("follow-up"), "no decision came from a follow-up sweep");
    for (const t of withFollowUps.tiers) {
      assert.equal(t.lowestInService, 3);
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
    }
  });

  it("converges no later than the same run without follow-ups, which delivers none", () => {
    assert.equal(without.ok, true, without.outcome);
    assert.equal(without.followUps, 0);
    assert.ok(
      withFollowUps.convergedAtMinutes! <= without.convergedAtMinutes!,
      `${withFollowUps.convergedAtMinutes} min with follow-ups, ${without.convergedAtMinutes} without`,
    );
  });

  it("keeps at most one follow-up pending: never more follow-up sweeps than delay-long slots in the run", () => {
    const slots = Math.ceil((withFollowUps.endedAtMinutes * 60) / LIMITS.followUpDelaySeconds.fallback);
    assert.ok(withFollowUps.followUps <= slots, `${withFollowUps.followUps} follow-ups in ${slots} slots`);
  });
});

describe("the rehearsal's EventBridge events", () => {
  /** EventBridge's matching, for the patterns phoenix deploys: every listed value is one of the pattern's. */
  function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
    return Object.entries(pattern).every(([key, wanted]) =>
      Array.isArray(wanted)
        ? wanted.includes(event[key])
        : typeof event[key] === "object" &&
          event[key] !== null &&
          matches(wanted as Record<string, unknown>, event[key] as Record<string, unknown>),
    );
  }

  it("sends each event as the deployed rule matches it: an alarm's from CloudWatch, an instance's from Auto Scaling", async () => {
    const clock = new SimClock(0);
    const sent: Record<string, unknown>[] = [];
    let alarmChanged: (tier: string, alarm: AlarmState) => void = () => undefined;
    const triggers = new Triggers({
      mode: "phoenix",
      clock,
      random: new Prng(1),
      fleet: {} as LocalFleet,
      store: {} as DiskObjectStore,
      bucket: "local-releases",
      lambda: {
        invoke: (_trigger: string, _cause: string, event: Record<string, unknown>) => {
          sent.push(event);
          return Promise.resolve();
        },
      } as unknown as LocalRolloutLambda,
      measurement: { alarmChanged: () => undefined } as unknown as Measurement,
      log: () => undefined,
    });
    triggers.watchAlarms({
      onChange: (listener: typeof alarmChanged) => (alarmChanged = listener),
    } as unknown as LoadModel);

    alarmChanged("web", { name: "phoenix-local-web-5xx", state: "ALARM", reason: "5xx over 1 %" });
    while (await clock.runNext());
    triggers.fleetEvent({
      type: "launch-successful",
      instance: { group: "local-web", id: "i-0abc" },
    } as FleetEvent);
    while (await clock.runNext());

    assert.equal(sent.length, 2);
    assert.ok(matches(alarmEventPattern(["phoenix-local-web-5xx"]), sent[0]), JSON.stringify(sent[0]));
    assert.ok(matches(instanceEventPattern(["local-web"]), sent[1]), JSON.stringify(sent[1]));
  });
});
