// Scheduled scaling entries (`<tier>Schedules`): the five-field Unix cron Auto Scaling accepts, IANA time zones, and
// one entry parsed against its tier's bounds. Pure; what a schedule adds up to over a week is bench/scheduled-capacity.ts.
import { ScheduledScaling } from "./types";

/** One field of a five-field cron: its name, its values and, for months and weekdays, their names from min on. */
export interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

export const CRON_FIELDS: CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/** Why a cron expression is not a five-field Unix cron Auto Scaling accepts, or undefined when it is. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return `has ${fields.length} fields; a cron has 5: minute hour day-of-month month day-of-week`;
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i];
    const value = (token: string): number | undefined => {
      const upper = token.toUpperCase();
      const named = spec.names?.indexOf(upper) ?? -1;
      if (named >= 0) return named + spec.min;
      if (!/^\d+$/.test(token)) return undefined;
      const n = Number(token);
      // Day of week 7 is Sunday too.
      const max = spec.name === "day of week" ? 7 : spec.max;
      return n >= spec.min && n <= max ? n : undefined;
    };
    for (const part of fields[i].split(",")) {
      const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
      const range = m?.[1];
      const step = m?.[2];
      let ok = m !== null && (step === undefined || Number(step) > 0);
      if (ok && range !== "*") {
        const ends = range!.split("-");
        const numbers = ends.map(value);
        ok =
          ends.length <= 2 &&
          numbers.every((n) => n !== undefined) &&
          (ends.length === 1 || (numbers[0] ?? 0) <= (numbers[1] ?? 0));
      }
      if (!ok)
        return `field ${i + 1} (${spec.name}) "${fields[i]}" is not valid: use *, ${spec.min}-${spec.max}, lists, ranges and /steps`;
    }
  }
  return undefined;
}

/** True when the runtime knows the IANA time zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const SCHEDULE_PATTERN =
  /^([a-z0-9][a-z0-9-]*):\s+(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(\S+)((?:\s+(?:min|max|desired)=\S+)*)\s*$/;

/**
 * Parses one schedule entry, `"<name>: <cron> <time zone> [min=N] [max=N] [desired=N]"`, against the tier's bounds.
 * Returns the schedule and the problems found (each a sentence without the key).
 */
export function parseSchedule(
  entry: string,
  tier: { minSize: number; maxSize: number },
): { schedule?: ScheduledScaling; problems: string[] } {
  const m = SCHEDULE_PATTERN.exec(entry.trim());
  if (!m) {
    return {
      problems: [
        `"${entry}" is not "<name>: <minute> <hour> <day> <month> <weekday> <Area/City> [min=N] [max=N] [desired=N]"`,
      ],
    };
  }
  const [, name, cron, timeZone, sizes] = m;
  const problems: string[] = [];
  const cronIssue = cronProblem(cron);
  if (cronIssue) problems.push(`schedule ${name}: cron "${cron}" ${cronIssue}`);
  if (!isTimeZone(timeZone))
    problems.push(`schedule ${name}: "${timeZone}" is not an IANA time zone (e.g. Europe/London, UTC)`);
  const schedule: ScheduledScaling = { name, cron, timeZone };
  for (const pair of sizes.trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = pair.split("=");
    if (!/^\d+$/.test(v)) {
      problems.push(`schedule ${name}: ${k}=${v} must be a whole number`);
      continue;
    }
    const n = Number(v);
    if (k === "min") schedule.minSize = n;
    else if (k === "max") schedule.maxSize = n;
    else schedule.desiredCapacity = n;
  }
  if (schedule.minSize === undefined && schedule.maxSize === undefined && schedule.desiredCapacity === undefined) {
    problems.push(`schedule ${name}: sets no size; give at least one of min=, max=, desired=`);
  }
  const min = schedule.minSize ?? tier.minSize;
  const max = schedule.maxSize ?? tier.maxSize;
  if (min > max) problems.push(`schedule ${name}: min ${min} is greater than max ${max}`);
  if (schedule.desiredCapacity !== undefined && (schedule.desiredCapacity < min || schedule.desiredCapacity > max)) {
    problems.push(`schedule ${name}: desired=${schedule.desiredCapacity} is outside its min/max ${min}..${max}`);
  }
  if (schedule.maxSize !== undefined && schedule.maxSize > tier.maxSize) {
    problems.push(
      `schedule ${name}: max=${schedule.maxSize} is above the tier's maximum ${tier.maxSize}; raise the tier's MaxSize first`,
    );
  }
  return { schedule: problems.length === 0 ? schedule : undefined, problems };
}
