// The rollout Lambda's keys (schedule, memory, timeout, probes, pause, alarm) read into a RolloutConfig, with the rule
// between them: the Lambda must outlive one probe deadline plus a sweep's own work.
import {
  DesiredVersionSource,
  EMAIL_PATTERN,
  scheduleExpressionProblem,
  SWEEP_OVERHEAD_SECONDS,
} from "../runtime/contract";
import { Problems, RawConfig, readBoolean, readChoice, readInteger, readString } from "./readers";
import { RolloutConfig } from "./types";

/** The rollout Lambda's settings; problems name the key, the value and what is allowed. */
export function parseRollout(raw: RawConfig, problems: Problems): RolloutConfig {
  const scheduleExpression = readString(raw, "rolloutSchedule");
  const scheduleProblem = scheduleExpressionProblem(scheduleExpression);
  if (scheduleProblem !== undefined) problems.add("rolloutSchedule", scheduleExpression, scheduleProblem);
  const memorySizeMb = readInteger(raw, "rolloutMemoryMb", problems);
  const probeTimeoutMs = readInteger(raw, "probeTimeoutMs", problems);
  const probeConcurrency = readInteger(raw, "probeConcurrency", problems);
  const timeoutSeconds = readInteger(raw, "rolloutTimeoutSeconds", problems);
  const minTimeout = Math.ceil(probeTimeoutMs / 1000) + SWEEP_OVERHEAD_SECONDS;
  if (timeoutSeconds <= minTimeout) {
    problems.add(
      "rolloutTimeoutSeconds",
      timeoutSeconds,
      `must exceed the probe timeout plus ${SWEEP_OVERHEAD_SECONDS} s (more than ${minTimeout})`,
    );
  }
  const paused = readBoolean(raw, "rolloutPaused", problems);
  const desiredVersion = readChoice<DesiredVersionSource>(raw, "desiredVersion", problems);
  const stuckMinutes = readInteger(raw, "rolloutStuckMinutes", problems);
  const alarmMinutes = readInteger(raw, "rolloutAlarmMinutes", problems);
  const alarmEmail = readString(raw, "alarmEmail");
  if (alarmEmail !== "" && !EMAIL_PATTERN.test(alarmEmail)) {
    problems.add("alarmEmail", alarmEmail, "must be an email address or empty");
  }
  return {
    scheduleExpression,
    memorySizeMb,
    timeoutSeconds,
    probeTimeoutMs,
    probeConcurrency,
    paused,
    desiredVersion,
    stuckMinutes,
    alarmMinutes,
    ...(alarmEmail !== "" ? { alarmEmail } : {}),
  };
}
