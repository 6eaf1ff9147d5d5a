// What makes the rollout Lambda run, delivered as the deployed system delivers it: the EventBridge schedule, Auto
// Scaling's launch and terminate events through EventBridge, the S3 notification for the release manifest, the SQS
// delay queue's follow-ups, a rollout alarm entering ALARM, and a target-tracking alarm scaling a group out. Each builds the event AWS would send and
// hands it to the Lambda's own entry point (rollout-lambda.ts), after the delay AWS would take; none decides anything.
import { FOLLOW_UP_MESSAGE_TYPE, MANIFEST_KEY } from "../contract";
import type { FollowUpOutcome } from "../core/follow-up";
import { readSurgeTags } from "../core/planner";
import { Prng, SimClock } from "./clock";
import { DiskObjectStore } from "./disk-store";
import { FleetEvent } from "./instance-lifecycle";
import type { LoadModel } from "./load";
import { LocalFleet } from "./local-fleet";
import { Measurement } from "./measurement";
import { LocalRolloutLambda } from "./rollout-lambda";

/**
 * `phoenix`: sweeps on the schedule, on Auto Scaling's launch/terminate events and on follow-ups from the SQS delay
 * queue, as deployed (follow-ups can be switched off to measure without them). `original`: the
 * 5-minute schedule only. `on-healthy`: phoenix's triggers plus a sweep whenever a target turns healthy — a trigger
 * AWS does not emit, measured to show what one would gain.
 */
export type TriggerMode = "phoenix" | "original" | "on-healthy";

/** EventBridge delivery plus a warm Lambda start, before an event-triggered sweep reads the fleet. */
const EVENT_DELAY_MS = 2_000;
/** The SQS event source's long poll picking a message up once its delay ends, plus a warm Lambda start. */
const QUEUE_DELIVERY_MS = 2_000;
/** S3's notification of a written object reaching the Lambda. */
const NOTIFICATION_DELAY_MS = 1_000;
/** A CloudWatch alarm's evaluation period: how soon an alarm still in ALARM acts again. */
const ALARM_PERIOD_MS = 60_000;

/** Who sends an EventBridge event and what it says: the fields a rule's pattern matches on. */
interface BusEvent {
  source: string;
  "detail-type": string;
  detail?: Record<string, unknown>;
}

/** The EventBridge schedule's event. */
const SCHEDULE: BusEvent = { source: "aws.events", "detail-type": "Scheduled Event" };

export interface TriggerOptions {
  mode: TriggerMode;
  clock: SimClock;
  random: Prng;
  fleet: LocalFleet;
  store: DiskObjectStore;
  /** The release bucket's name, as S3 notifications carry it. */
  bucket: string;
  lambda: LocalRolloutLambda;
  measurement: Measurement;
  /** One line of the run's log. */
  log: (source: string, line: string) => void;
}

/** The event sources of one run. */
export class Triggers {
  /** A follow-up message is delayed or visible in the queue (one being processed is in flight and does not count). */
  private followUpPending = false;
  /** Tiers whose alarm has already said it waits for a surge, so the log says it once. */
  private readonly alarmDeferred = new Set<string>();
  /** Event-triggered sweeps queued, by the simulated instant they reach the Lambda. */
  private readonly eventSweeps = new Set<number>();
  /** Auto Scaling (and on-healthy) events delivered, whether or not they shared a sweep. */
  private eventCount = 0;

  constructor(private readonly options: TriggerOptions) {}

  /**
   * The EventBridge schedule: a sweep every `everyMs` from `start` on, at a phase drawn from the seed (relative to a
   * release it is chance in real life). `afterEach` runs once each scheduled sweep is done.
   */
  startSchedule(start: number, everyMs: number, afterEach: () => void): void {
    const { clock, random } = this.options;
    const first = start + Math.floor(random.next() * everyMs);
    const tick = (at: number) => {
      clock.at(at, "schedule", async () => {
        await this.sweep("schedule", SCHEDULE);
        afterEach();
        tick(at + everyMs);
      });
    };
    tick(first);
  }

  /** Events that reached the Lambda; several reaching it at one instant share a sweep (see eventSweep). */
  get events(): number {
    return this.eventCount;
  }

  /**
   * The rollout alarms: each change is measured, and one entering ALARM reaches the Lambda through EventBridge's
   * "CloudWatch Alarm State Change" rule (none in `original` mode).
   */
  watchAlarms(load: LoadModel): void {
    const { log, measurement, mode } = this.options;
    load.onChange((tier, alarm) => {
      measurement.alarmChanged(tier, alarm);
      if (alarm.state !== "ALARM") return;
      log("alarm", `${alarm.name} → ALARM: ${alarm.reason ?? ""}`);
      if (mode !== "original")
        this.eventSweep("alarm event", {
          source: "aws.cloudwatch",
          "detail-type": "CloudWatch Alarm State Change",
          detail: { alarmName: alarm.name, state: { value: alarm.state } },
        });
    });
  }

  /** Auto Scaling's launch and terminate events, through EventBridge; none in `original` mode. */
  fleetEvent(event: FleetEvent): void {
    const { mode } = this.options;
    if (mode !== "original" && (event.type === "launch-successful" || event.type === "terminate-successful")) {
      const what = event.type === "launch-successful" ? "launch" : "terminate";
      this.eventSweep(`${what} event`, {
        source: "aws.autoscaling",
        "detail-type":
          event.type === "launch-successful" ? "EC2 Instance Launch Successful" : "EC2 Instance Terminate Successful",
        detail: { AutoScalingGroupName: event.instance.group, EC2InstanceId: event.instance.id },
      });
    }
    if (mode === "on-healthy" && event.type === "target-health" && event.instance.target === "healthy") {
      // No such AWS event exists; a direct invocation stands for whatever would deliver it.
      this.eventSweep("healthy event", { source: "phoenix.rehearsal", "detail-type": "Target Healthy (hypothetical)" });
    }
  }

  /**
   * From now on, every write of the manifest notifies the Lambda, as the bucket's notification does when deployed;
   * both modes have it (the original system's upload Lambda).
   */
  notifyReleases(): void {
    const { clock, store } = this.options;
    store.onPut((key) => {
      if (key === MANIFEST_KEY) clock.after(NOTIFICATION_DELAY_MS, "release event", () => this.releaseEvent());
    });
  }

  /**
   * The SQS delay queue as the deployed handler uses it: a message is sent only when none is pending, and delivered
   * to the same entry point as an SQS event once its delay is over.
   */
  queueFollowUp(delaySeconds: number): Promise<FollowUpOutcome> {
    if (this.followUpPending) return Promise.resolve({ status: "pending" });
    this.followUpPending = true;
    this.options.clock.after(delaySeconds * 1000 + QUEUE_DELIVERY_MS, "follow-up", () => {
      this.followUpPending = false;
      const delivered = this.options.measurement.followUpDelivered();
      const event = {
        Records: [
          {
            eventSource: "aws:sqs",
            messageId: `follow-up-${delivered}`,
            body: JSON.stringify({ type: FOLLOW_UP_MESSAGE_TYPE, delaySeconds }),
          },
        ],
      };
      return this.options.lambda.invoke("follow-up", "sweep", event);
    });
    return Promise.resolve({ status: "sent" });
  }

  /**
   * A target-tracking alarm asks for more capacity at `at`, and keeps asking at each evaluation for as long as the
   * load lasts (the whole run). Its action is a scaling process (AlarmNotification): while a surge has it suspended
   * nothing happens, and once resumed the alarm acts at its next evaluation.
   */
  scaleOutByAlarm(tier: string, desired: number, at: number): void {
    const { clock, fleet, log, measurement } = this.options;
    clock.at(at, "scaling alarm", async () => {
      const group = fleet.group(tier);
      // The load lasts the whole run: the alarm is evaluated again every period.
      this.scaleOutByAlarm(tier, desired, clock.now() + ALARM_PERIOD_MS);
      if (group.suspendedProcesses.includes("AlarmNotification")) {
        if (!this.alarmDeferred.has(tier)) {
          log("scaling", `${group.name} alarm wants ${desired}, but AlarmNotification is suspended (surge)`);
          measurement.alarm(tier, readSurgeTags(group.tags).baseline ?? group.desiredCapacity, desired, true);
        }
        this.alarmDeferred.add(tier);
        return;
      }
      // During a surge, desired capacity may already be high; the alarm acts once the surge gives it back.
      if (group.desiredCapacity >= desired) return;
      log("scaling", `${group.name} desired capacity ${group.desiredCapacity} → ${desired} (target-tracking alarm)`);
      measurement.alarm(tier, group.desiredCapacity, desired, false);
      await fleet.setDesiredCapacity(tier, desired, "alarm");
    });
  }

  /**
   * One sweep for every event reaching the Lambda at the same simulated instant (a surge's instances all go InService
   * together). Deployed, each would run in turn under reserved concurrency 1, and every one after the first would read
   * the fleet the first left (sweeps take no simulated time here) and decide nothing new; sharing one keeps a fleet of
   * hundreds from costing hundreds of identical sweeps, each probing every instance.
   */
  private eventSweep(trigger: string, event: BusEvent): void {
    const { clock } = this.options;
    this.eventCount++;
    const due = clock.now() + EVENT_DELAY_MS;
    if (this.eventSweeps.has(due)) return;
    this.eventSweeps.add(due);
    clock.at(due, trigger, () => {
      this.eventSweeps.delete(due);
      return this.sweep(trigger, event);
    });
  }

  /** One scheduled sweep now, off the schedule's rhythm (what an operator's sweep races in `two-operators`). */
  scheduledSweep(): Promise<void> {
    return this.sweep("schedule", SCHEDULE);
  }

  /** A sweep as the deployed Lambda runs it, for the EventBridge event `sent`. */
  private sweep(trigger: string, sent: BusEvent): Promise<void> {
    const event = { version: "0", time: this.options.clock.iso(), detail: {}, ...sent };
    return this.options.lambda.invoke(trigger, "sweep", event);
  }

  /** The S3 notification for the manifest, as the deployed Lambda receives it. */
  private releaseEvent(): Promise<void> {
    const event = {
      Records: [
        {
          eventSource: "aws:s3",
          eventName: "ObjectCreated:Put",
          eventTime: this.options.clock.iso(),
          s3: { bucket: { name: this.options.bucket }, object: { key: MANIFEST_KEY } },
        },
      ],
    };
    return this.options.lambda.invoke("release event", "release", event);
  }
}
