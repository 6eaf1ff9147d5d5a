// Scheduled-capacity benchmark: the instance-hours each of the test stack's tiers runs in a week under its scheduled
// actions (`<tier>Schedules` in Pulumi.test.yaml), played minute by minute in each schedule's own time zone, in a winter
// and a summer week (the clocks move; the schedule should not). The figure the docs quote ("60 of 168 instance-hours
// per tier per week") comes from here: `npm run bench -- scheduled-capacity`.
import { ScheduledScaling, TierConfig } from "../config";
import { CRON_FIELDS, CronField } from "../config/schedule";
import { table } from "../runtime/rehearsal/view";
import { parseStack } from "../test/support/stack-config";
import { mark, Target } from "./targets";

const WEEK_HOURS = 7 * 24;
/** The target: test runs only in working hours, at most a 12-hour day from Monday to Friday. */
const WORKING_WEEK_HOURS = 12 * 5;
/** Mondays, 00:00 UTC: one in Greenwich Mean Time and one in British Summer Time. */
const WEEKS = [
  { label: "winter", start: "2026-11-30T00:00:00Z" },
  { label: "summer", start: "2026-06-01T00:00:00Z" },
];

/** Local wall-clock fields a cron matches against (weekday 0 is Sunday). */
export interface WallClock {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

/** The values a valid cron field matches (day of week 7 folded onto 0, Sunday). */
function cronValues(field: string, spec: CronField): Set<number> {
  const values = new Set<number>();
  const value = (token: string) => {
    const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    return named >= 0 ? named + spec.min : Number(token);
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] =
      range === "*"
        ? [spec.min, spec.max]
        : range.includes("-")
          ? range.split("-").map(value)
          : [value(range), stepText ? spec.max : value(range)];
    for (let v = from; v <= to; v += step) values.add(spec.name === "day of week" && v === 7 ? 0 : v);
  }
  return values;
}

/** A matcher for a valid five-field cron over local wall-clock fields (Vixie cron's day-of-month/day-of-week OR rule). */
export function cronMatcher(cron: string): (t: WallClock) => boolean {
  const fields = cron.trim().split(/\s+/);
  const sets = fields.map((f, i) => cronValues(f, CRON_FIELDS[i]));
  const domAny = fields[2] === "*";
  const dowAny = fields[4] === "*";
  return (t) => {
    if (!sets[0].has(t.minute) || !sets[1].has(t.hour) || !sets[3].has(t.month)) return false;
    const dom = sets[2].has(t.day);
    const dow = sets[4].has(t.weekday);
    return domAny || dowAny ? dom && dow : dom || dow;
  };
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** A week played minute by minute: its instance-hours and the desired capacity it ends at. */
function playWeek(
  schedules: ScheduledScaling[],
  initialDesired: number,
  weekStart: string,
): { hours: number; finalDesired: number } {
  const start = Date.parse(weekStart);
  const matchers = schedules.map((s) => ({
    schedule: s,
    matches: cronMatcher(s.cron),
    format: new Intl.DateTimeFormat("en-GB", {
      timeZone: s.timeZone,
      hourCycle: "h23",
      minute: "numeric",
      hour: "numeric",
      day: "numeric",
      month: "numeric",
      weekday: "short",
    }),
  }));
  let desired = initialDesired;
  let minutes = 0;
  for (let m = 0; m < WEEK_HOURS * 60; m++) {
    const at = new Date(start + m * 60_000);
    for (const { schedule, matches, format } of matchers) {
      const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
      const local = {
        minute: Number(parts.minute),
        hour: Number(parts.hour),
        day: Number(parts.day),
        month: Number(parts.month),
        weekday: WEEKDAYS.indexOf(parts.weekday),
      };
      if (matches(local)) {
        const min = schedule.minSize ?? -Infinity;
        const max = schedule.maxSize ?? Infinity;
        desired = Math.min(max, Math.max(min, schedule.desiredCapacity ?? desired));
      }
    }
    minutes += desired;
  }
  return { hours: minutes / 60, finalDesired: desired };
}

/**
 * Instance-hours a tier runs in the week starting at `weekStart` (UTC, ISO) under its scheduled actions, minute by
 * minute, starting from `initialDesired` (the capacity the schedules leave it at, e.g. after the previous week).
 * Scaling policies may add more at busy times; this is the schedule's share.
 */
export function weeklyInstanceHours(schedules: ScheduledScaling[], initialDesired: number, weekStart: string): number {
  return playWeek(schedules, initialDesired, weekStart).hours;
}

/** A tier's hours in the week from `weekStart`, after a week that starts at its desired capacity settles it. */
export function settledWeeklyInstanceHours(tier: TierConfig, weekStart: string): number {
  const previous = new Date(Date.parse(weekStart) - WEEK_HOURS * 3_600_000).toISOString();
  const settled = playWeek(tier.schedules, tier.desiredCapacity, previous).finalDesired;
  return weeklyInstanceHours(tier.schedules, settled, weekStart);
}

export function scheduledCapacityBench(): Promise<Target[]> {
  const config = parseStack("test");
  console.log(
    "\n## scheduled-capacity: the test stack's tiers under their scheduled actions (Pulumi.test.yaml), minute by " +
      "minute in each schedule's time zone",
  );
  const lines = [["tier", "week of", "instance-hours", `of ${WEEK_HOURS}`, "fewer than always on", "target", ""]];
  const targets: Target[] = [];
  for (const tier of Object.values(config.tiers)) {
    const alwaysOn = tier.desiredCapacity * WEEK_HOURS;
    for (const week of WEEKS) {
      const hours = settledWeeklyInstanceHours(tier, week.start);
      const ok = hours <= WORKING_WEEK_HOURS;
      targets.push({ what: `${tier.name}, ${week.label} week: ${hours.toFixed(1)} h <= ${WORKING_WEEK_HOURS} h`, ok });
      lines.push([
        tier.name,
        `${week.start.slice(0, 10)} (${week.label})`,
        hours.toFixed(1),
        `${Math.round((hours / WEEK_HOURS) * 100)} %`,
        `${Math.round((1 - hours / alwaysOn) * 100)} % (always on = ${tier.desiredCapacity} x ${WEEK_HOURS} h)`,
        `<= ${WORKING_WEEK_HOURS} h (12 h x Mon-Fri)`,
        mark(ok),
      ]);
    }
  }
  for (const line of table(lines)) console.log(`  ${line}`);
  return Promise.resolve(targets);
}
