// The local fleet's traffic and the CloudWatch alarms that watch it. Each simulated minute every tier gets its
// requests, spread by the load balancer over the instances in service; an instance of a build bad under traffic answers
// its share of them with 5xx (as its own server does, instance-server.ts), every other instance answers them all. Each
// tier's 5xx-rate rollout alarm evaluates those minutes as CloudWatch evaluates the program's alarm
// (components/rollout-alarms.ts): one-minute periods, the rate in percent, in ALARM once `breachMinutes` periods in a
// row are above the threshold, OK again once one is not; a minute without requests is not a breach. The latency
// alarm has nothing to watch here and stays OK. The rollout Lambda reads them through this AlarmReader, and an alarm
// entering ALARM is told to whoever listens (EventBridge's alarm state change, triggers.ts).
import { LIMITS, rolloutAlarmNames } from "../contract";
import { AlarmReader, AlarmState } from "../core/types";
import { SimClock } from "./clock";
import { isInService } from "./instance-lifecycle";
import { LocalFleet } from "./local-fleet";

const MINUTE_MS = 60_000;

export interface LoadOptions {
  clock: SimClock;
  fleet: LocalFleet;
  tiers: string[];
  /** Requests each tier receives per simulated minute. @default 6000 */
  requestsPerMinute?: number;
  /** The 5xx rate, in percent of a tier's requests, above which a minute breaches. @default LIMITS.rollout5xxPercent */
  thresholdPercent?: number;
  /** Breaching minutes in a row that put the alarm in ALARM. @default LIMITS.rolloutAlarmMinutes */
  breachMinutes?: number;
}

/** One tier's minute of traffic. */
export interface TrafficMinute {
  /** Simulated ms at the end of the minute. */
  at: number;
  tier: string;
  requests: number;
  errors: number;
}

/** A stretch of time a tier's 5xx alarm was in ALARM; `to` undefined while it still is. */
export interface AlarmPeriod {
  tier: string;
  alarm: string;
  from: number;
  to?: number;
}

/** Traffic and alarms per tier, from `start` on. */
export class LoadModel implements AlarmReader {
  readonly minutes: TrafficMinute[] = [];
  readonly periods: AlarmPeriod[] = [];
  private readonly breaching = new Map<string, number>();
  private readonly state = new Map<string, AlarmState>();
  private readonly requestsPerMinute: number;
  private readonly threshold: number;
  private readonly breachMinutes: number;
  private readonly listeners: ((tier: string, alarm: AlarmState) => void)[] = [];

  constructor(private readonly options: LoadOptions) {
    this.requestsPerMinute = options.requestsPerMinute ?? 6000;
    this.threshold = options.thresholdPercent ?? LIMITS.rollout5xxPercent.fallback;
    this.breachMinutes = options.breachMinutes ?? LIMITS.rolloutAlarmMinutes.fallback;
    for (const tier of options.tiers) {
      const names = rolloutAlarmNames(options.fleet.environment, tier);
      const since = new Date(options.clock.now()).toISOString();
      this.state.set(names.errors, { name: names.errors, state: "OK", since });
      this.state.set(names.latency, { name: names.latency, state: "OK", since });
    }
  }

  /** The alarm names each tier's rollout is gated on, for the Lambda's policy. */
  alarmNames(tier: string): string[] {
    return Object.values(rolloutAlarmNames(this.options.fleet.environment, tier));
  }

  /** Told of every change of a tier's 5xx alarm (EventBridge's "CloudWatch Alarm State Change"). */
  onChange(listener: (tier: string, alarm: AlarmState) => void): void {
    this.listeners.push(listener);
  }

  /** Starts the traffic: a minute's evaluation at every whole minute after `start`. */
  startAt(start: number): void {
    const tick = (at: number) =>
      this.options.clock.at(at, "traffic minute", () => {
        this.evaluate(at);
        tick(at + MINUTE_MS);
      });
    tick(start + MINUTE_MS);
  }

  /** DescribeAlarms: every name asked, `missing` for one no tier has. */
  read(names: string[]): Promise<AlarmState[]> {
    return Promise.resolve(
      [...new Set(names)].sort().map((name) => ({ ...(this.state.get(name) ?? { name, state: "missing" }) })),
    );
  }

  /** The 5xx requests a tier's in-service instances answered this minute, spread evenly by the load balancer. */
  private traffic(tier: string): { requests: number; errors: number } {
    const serving = this.options.fleet.group(tier).instances.filter(isInService);
    if (serving.length === 0) return { requests: 0, errors: 0 };
    const each = this.requestsPerMinute / serving.length;
    const errors = serving.reduce((n, i) => n + each * (i.behaviour.errorRate ?? 0), 0);
    return { requests: this.requestsPerMinute, errors: Math.round(errors) };
  }

  private evaluate(at: number): void {
    for (const tier of this.options.tiers) {
      const { requests, errors } = this.traffic(tier);
      this.minutes.push({ at, tier, requests, errors });
      const name = rolloutAlarmNames(this.options.fleet.environment, tier).errors;
      // No requests is no datapoint, which the program's alarm treats as not breaching.
      const breach = requests > 0 && (100 * errors) / requests > this.threshold;
      const run = breach ? (this.breaching.get(tier) ?? 0) + 1 : 0;
      this.breaching.set(tier, run);
      const was = this.state.get(name)!;
      const now = run >= this.breachMinutes ? "ALARM" : "OK";
      if (now === was.state) continue;
      const rate = requests === 0 ? 0 : (100 * errors) / requests;
      const reason =
        now === "ALARM"
          ? `Threshold Crossed: ${this.breachMinutes} datapoints were greater than the threshold (${this.threshold}%); ` +
            `the last was ${rate.toFixed(2)}%`
          : `Threshold Crossed: the last datapoint (${rate.toFixed(2)}%) was not greater than the threshold`;
      const next: AlarmState = { name, state: now, since: new Date(at).toISOString(), reason };
      this.state.set(name, next);
      if (now === "ALARM") {
        this.periods.push({ tier, alarm: name, from: at });
      } else {
        const open = [...this.periods].reverse().find((p) => p.tier === tier && p.to === undefined);
        if (open !== undefined) open.to = at;
      }
      for (const listener of this.listeners) listener(tier, next);
    }
  }
}
