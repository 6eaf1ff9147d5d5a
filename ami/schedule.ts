// When the monthly base image is built: the meaning of an Image Builder cron expression, computed, so that "a few
// days after Patch Tuesday" is a tested fact rather than a comment. Pure functions, UTC only, no clock reads.

/** A schedule expression this module cannot evaluate, or one that is not a valid monthly Image Builder cron. */
export class ScheduleExpressionError extends Error {
  override name = "ScheduleExpressionError";
}

const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

/** The part of AWS cron syntax a monthly "nth weekday" build uses: `cron(<min> <hour> ? * <dow>#<n> *)`. */
export interface MonthlyCron {
  minute: number;
  hour: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Which occurrence of that weekday in the month, 1–5. */
  nth: number;
}

/** The pipeline's default: 00:00 UTC on the third Wednesday, always 1 to 8 days after Patch Tuesday. */
export const DEFAULT_SCHEDULE_EXPRESSION = "cron(0 0 ? * wed#3 *)";

/** When a schedule match starts a build: only if AWS's parent image or a component has a newer version, or always. */
export type StartCondition = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE" | "EXPRESSION_MATCH_ONLY";
export const START_CONDITIONS: readonly StartCondition[] = [
  "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
  "EXPRESSION_MATCH_ONLY",
];
export const DEFAULT_START_CONDITION: StartCondition = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE";

function parseWeekday(text: string): number | undefined {
  const upper = text.toUpperCase();
  const named = WEEKDAYS.indexOf(upper as (typeof WEEKDAYS)[number]);
  if (named >= 0) return named;
  // AWS cron numbers weekdays 1 (Sunday) to 7 (Saturday).
  if (/^[1-7]$/.test(text)) return Number(text) - 1;
  return undefined;
}

function parseField(text: string, max: number, what: string, expression: string): number {
  if (!/^\d{1,2}$/.test(text) || Number(text) > max) {
    throw new ScheduleExpressionError(
      `schedule "${expression}": ${what} "${text}" must be a fixed number from 0 to ${max} ` +
        `(ranges, lists and steps are not supported for a monthly build).`,
    );
  }
  return Number(text);
}

/**
 * Parses the monthly subset of AWS cron: fixed minute and hour, `?` day of month, every month, one weekday with an
 * occurrence (`wed#3`, `4#3`), every year. Anything else throws ScheduleExpressionError naming the field.
 */
export function parseMonthlyCron(expression: string): MonthlyCron {
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  const fields = match ? match[1].trim().split(/\s+/) : [];
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      `schedule "${expression}" is not a six-field AWS cron expression; ` +
        `write it like "${DEFAULT_SCHEDULE_EXPRESSION}" (minute hour day-of-month month day-of-week year).`,
    );
  }
  const [minuteText, hourText, dayOfMonth, month, dayOfWeek, year] = fields;
  const minute = parseField(minuteText, 59, "minute", expression);
  const hour = parseField(hourText, 23, "hour", expression);
  if (dayOfMonth !== "?" || month !== "*" || year !== "*") {
    throw new ScheduleExpressionError(
      `schedule "${expression}": day-of-month must be "?", month "*" and year "*" for a monthly build ` +
        `(got "${dayOfMonth}", "${month}", "${year}").`,
    );
  }
  const occurrence = /^([A-Za-z]{3}|[1-7])#([1-5])$/.exec(dayOfWeek);
  const weekday = occurrence ? parseWeekday(occurrence[1]) : undefined;
  if (!occurrence || weekday === undefined) {
    throw new ScheduleExpressionError(
      `schedule "${expression}": day-of-week "${dayOfWeek}" must name one weekday and its occurrence in the month, ` +
        `such as "wed#3" (SUN-SAT or 1-7, then #1 to #5).`,
    );
  }
  return { minute, hour, weekday, nth: Number(occurrence[2]) };
}

/** Day of month (1–31) of the nth given weekday of a month, or undefined when that month has no such day (a 5th). */
function nthWeekdayOfMonth(year: number, month: number, weekday: number, nth: number): number | undefined {
  const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const day = 1 + ((weekday - firstWeekday + 7) % 7) + (nth - 1) * 7;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth ? day : undefined;
}

/** Patch Tuesday of a month (1–12): the second Tuesday, at 00:00 UTC. */
export function patchTuesday(year: number, month: number): Date {
  const day = nthWeekdayOfMonth(year, month, 2, 2) as number; // every month has a second Tuesday
  return new Date(Date.UTC(year, month - 1, day));
}

/** The next `count` times a monthly cron expression fires strictly after `after` (UTC), in order. */
export function nextRuns(expression: string, after: Date, count: number): Date[] {
  const cron = parseMonthlyCron(expression);
  const runs: Date[] = [];
  let year = after.getUTCFullYear();
  let month = after.getUTCMonth() + 1;
  // A 5th-weekday expression skips months without one; 5 years of months is far more than any count asked here.
  for (let guard = 0; runs.length < count && guard < count * 12 + 60; guard++) {
    const day = nthWeekdayOfMonth(year, month, cron.weekday, cron.nth);
    if (day !== undefined) {
      const run = new Date(Date.UTC(year, month - 1, day, cron.hour, cron.minute));
      if (run.getTime() > after.getTime()) runs.push(run);
    }
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return runs;
}

/** Whole calendar days from that month's Patch Tuesday to `run` (negative when the run is before it). */
export function daysAfterPatchTuesday(run: Date): number {
  const tuesday = patchTuesday(run.getUTCFullYear(), run.getUTCMonth() + 1);
  const runDay = Date.UTC(run.getUTCFullYear(), run.getUTCMonth(), run.getUTCDate());
  return Math.round((runDay - tuesday.getTime()) / 86_400_000);
}

/**
 * Checks that every one of the next `count` runs falls 1 to 8 days after its month's Patch Tuesday, and returns
 * the runs that do not (empty when the schedule is right). Used by tests and by config validation.
 */
export function runsOutsidePatchWindow(
  expression: string,
  after: Date,
  count: number,
  window: { minDays: number; maxDays: number } = { minDays: 1, maxDays: 8 },
): { run: Date; daysAfter: number }[] {
  return nextRuns(expression, after, count)
    .map((run) => ({ run, daysAfter: daysAfterPatchTuesday(run) }))
    .filter(({ daysAfter }) => daysAfter < window.minDays || daysAfter > window.maxDays);
}
