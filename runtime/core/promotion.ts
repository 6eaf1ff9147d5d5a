// The promotion gate (`phoenix promote`): may the version an environment runs go on to the next one? Four checks,
// each one line saying why it passed or failed: the version is the source's current release; every tier of the source
// runs it on healthy instances (as its sweeps recorded it, and as its fleet still is); it has stayed so for the soak;
// none of its rollout alarms is in ALARM. Pure: the soak is measured between two sweep records of the source, never
// on the promoting machine's clock. Also the provenance a promoted release's record carries.
import { CONVERGENCE_KEY } from "../contract";
import { ConvergenceRecord, soakedMinutes } from "./convergence";
import { AlarmState, FleetState, GroupState } from "./types";

/**
 * The source's rollout alarms as the gate reads them: none configured, or how many, which are in ALARM, and which
 * could not be read (missing, or the read failed): the gate passes only on alarms it saw quiet.
 */
export type AlarmReading =
  { configured: false } | { configured: true; count: number; firing: FiringAlarm[]; unreadable: FiringAlarm[] };

export interface FiringAlarm {
  name: string;
  /** CloudWatch's state reason, one line; or why the alarm could not be read. */
  reason: string;
}

/**
 * The reading of `names` from what the one DescribeAlarms call answered (or why it failed). As for a sweep
 * (planner/checkpoints.ts alarmVerdict), INSUFFICIENT_DATA is quiet: a tier without traffic has no 5xx rate.
 */
export function alarmReading(names: readonly string[], answer: AlarmState[] | { failed: string }): AlarmReading {
  const wanted = [...new Set(names)].sort();
  if (wanted.length === 0) return { configured: false };
  const states = "failed" in answer ? [] : answer;
  const firing: FiringAlarm[] = [];
  const unreadable: FiringAlarm[] = [];
  for (const name of wanted) {
    const s = states.find((x) => x.name === name);
    if ("failed" in answer || s === undefined) {
      unreadable.push({ name, reason: "failed" in answer ? answer.failed : "not answered" });
    } else if (s.state === "ALARM") {
      firing.push({ name, reason: oneLine(s.reason ?? "in ALARM") });
    } else if (s.state === "missing") {
      unreadable.push({ name, reason: "no such alarm" });
    } else if (s.state !== "OK" && s.state !== "INSUFFICIENT_DATA") {
      unreadable.push({ name, reason: oneLine(s.reason ?? s.state) });
    }
  }
  return { configured: true, count: wanted.length, firing, unreadable };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Copies an object from the source's store into the target's inside the cloud, the bytes never passing through the
 * promoting machine: S3's CopyObject, possible when one identity reaches both buckets. Writes only if the key is
 * absent (throwing PreconditionFailedError otherwise), and has the target compute the copy's SHA-256.
 */
export interface ServerSideCopy {
  copy(sourceKey: string, targetKey: string): Promise<void>;
}

export type GateCheckName = "current" | "converged" | "soak" | "alarms";

/** One check of the gate: whether it passed, and one line saying why. */
export interface GateCheck {
  name: GateCheckName;
  ok: boolean;
  detail: string;
}

export interface GateResult {
  passed: boolean;
  checks: GateCheck[];
}

export interface GateInput {
  /** The environment promoted from. */
  source: string;
  /** The version to promote. */
  version: string;
  /** The source's current release (its manifest's version). */
  current: string;
  /** The source's convergence record; undefined when it has none, or why it could not be used. */
  record: ConvergenceRecord | { missing: string } | undefined;
  /** The source's fleet as read now (no probes: which version each instance runs comes from the record). */
  fleet: FleetState;
  soakMinutes: number;
  alarms: AlarmReading;
}

/**
 * The soak's check, when it is the only one that failed: what `promote --wait-for-soak` (and a build server's retry)
 * waits out. Any other failing check is a refusal to stop at.
 */
export function soakAlone(gate: GateResult): GateCheck | undefined {
  const failing = gate.checks.filter((c) => !c.ok);
  return failing.length === 1 && failing[0].name === "soak" ? failing[0] : undefined;
}

/** Runs every check (a failed one does not hide the others) and says whether all passed. */
export function evaluateGate(input: GateInput): GateResult {
  const record = input.record !== undefined && "kind" in input.record ? input.record : undefined;
  const checks = [currentCheck(input), convergedCheck(input, record), soakCheck(input, record), alarmsCheck(input)];
  return { passed: checks.every((c) => c.ok), checks };
}

function currentCheck({ source, version, current }: GateInput): GateCheck {
  return version === current
    ? { name: "current", ok: true, detail: `${version} is ${source}'s current release` }
    : {
        name: "current",
        ok: false,
        detail: `${version} is not ${source}'s current release (${current} is): promote what ${source} runs now`,
      };
}

/** Why the record does not show the version converged, or undefined when it does. */
function recordProblem(input: GateInput, record: ConvergenceRecord | undefined): string | undefined {
  const { source, version } = input;
  if (record === undefined) {
    const why = input.record !== undefined && "missing" in input.record ? input.record.missing : undefined;
    return (
      why ??
      `no sweep of ${source} has recorded convergence yet (${CONVERGENCE_KEY} is missing): wait for its rollout ` +
        `Lambda's next sweep, or redeploy ${source} if its rollout predates phoenix promote`
    );
  }
  if (record.version !== version) {
    return `the last sweep of ${source} (${record.checkedAt}) measured ${record.version}, not ${version}`;
  }
  if (record.convergedAt === null) {
    return `the last sweep of ${source} (${record.checkedAt}) saw ${version} not converged: ${record.reason ?? "?"}`;
  }
  return undefined;
}

function convergedCheck(input: GateInput, record: ConvergenceRecord | undefined): GateCheck {
  const problem = recordProblem(input, record);
  if (problem !== undefined) return { name: "converged", ok: false, detail: problem };
  const { fleet, source, version } = input;
  if (fleet.groups.length === 0) {
    return { name: "converged", ok: false, detail: `${source} has no Auto Scaling groups to have converged` };
  }
  const issues = fleet.groups.flatMap((g) => groupIssues(g, record!));
  if (issues.length > 0) {
    return {
      name: "converged",
      ok: false,
      detail: `${source} is not converged on ${version} now: ${issues.join("; ")}`,
    };
  }
  const tiers = [...fleet.groups]
    .sort((a, b) => a.tier.localeCompare(b.tier))
    .map((g) => `${g.tier} ${g.instances.length}`)
    .join(", ");
  return {
    name: "converged",
    ok: true,
    detail: `every tier of ${source} runs ${version} on healthy instances (${tiers}), as its last sweep saw and its fleet still is`,
  };
}

/** What keeps one group from counting as converged on the record's version, now. */
function groupIssues(group: GroupState, record: ConvergenceRecord): string[] {
  const seen = record.tiers[group.tier];
  if (seen === undefined) return [`tier ${group.tier} (${group.name}) was not in the last sweep`];
  const ran = new Set(seen.instances);
  const issues: string[] = [];
  for (const i of group.instances) {
    const health = Object.entries(i.lbHealth).filter(([, h]) => h !== "healthy");
    if (i.lifecycleState !== "InService") issues.push(`${group.tier} ${i.id} is ${i.lifecycleState}`);
    else if (i.asgHealth !== "Healthy") issues.push(`${group.tier} ${i.id} is ${i.asgHealth} in Auto Scaling`);
    else if (health.length > 0) issues.push(`${group.tier} ${i.id} is ${health[0][1]} in its target group`);
    else if (!ran.has(i.id)) {
      issues.push(`${group.tier} ${i.id} joined after the last sweep (${record.checkedAt}); wait for the next one`);
    }
  }
  if (group.instances.length !== group.desiredCapacity) {
    issues.push(`${group.tier} has ${group.instances.length} instances of ${group.desiredCapacity} desired`);
  } else if (group.desiredCapacity === 0) {
    issues.push(`${group.tier} has no instances (desired capacity 0): nothing runs it now`);
  }
  return issues;
}

function soakCheck(input: GateInput, record: ConvergenceRecord | undefined): GateCheck {
  const problem = recordProblem(input, record);
  if (problem !== undefined) {
    return { name: "soak", ok: false, detail: `nothing to measure a soak on: the sweeps do not show it converged` };
  }
  const minutes = soakedMinutes(record!);
  const range = `converged since ${record!.convergedAt}, last confirmed by the sweep at ${record!.checkedAt}`;
  if (minutes >= input.soakMinutes) {
    return { name: "soak", ok: true, detail: `${formatMinutes(minutes)} of the ${input.soakMinutes}m soak: ${range}` };
  }
  const due = new Date(Date.parse(record!.convergedAt!) + input.soakMinutes * 60_000).toISOString();
  return {
    name: "soak",
    ok: false,
    detail:
      `${formatMinutes(minutes)} of the ${input.soakMinutes}m soak (${range}); it is soaked once a sweep at or ` +
      `after ${due} still sees it converged`,
  };
}

function alarmsCheck({ source, alarms }: GateInput): GateCheck {
  if (!alarms.configured) {
    return { name: "alarms", ok: true, detail: `${source} has no rollout alarms configured to check` };
  }
  const list = (xs: FiringAlarm[]) => xs.map((a) => `${a.name} (${a.reason})`).join("; ");
  const problems = [
    ...(alarms.firing.length > 0 ? [`${source}'s rollout alarms in ALARM: ${list(alarms.firing)}`] : []),
    ...(alarms.unreadable.length > 0 ? [`not read, so not known quiet: ${list(alarms.unreadable)}`] : []),
  ];
  if (problems.length === 0) {
    return { name: "alarms", ok: true, detail: `none of ${source}'s ${alarms.count} rollout alarms is in ALARM` };
  }
  return { name: "alarms", ok: false, detail: problems.join("; ") };
}

/** `12m`, `1h05m`: whole minutes, rounded down (a soak is never reported longer than it was). */
export function formatMinutes(minutes: number): string {
  const m = Math.floor(minutes);
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Where a promoted release came from and why it was let through: carried in the target's release record. */
export interface Promotion {
  /** The environment it was promoted from. */
  from: string;
  /** When it was promoted (the promoting machine's clock, as every release's publishedAt). */
  at: string;
  /** What the source's records said at the time. */
  evidence: PromotionEvidence;
  gate: { result: "passed"; soakMinutes: number; checks: GateCheck[] } | { result: "skipped"; by: string };
}

export interface PromotionEvidence {
  /** When the source first published the version (its release record). */
  publishedAt: string;
  /** Since when the source's sweeps saw it converged, and the latest sweep that did; null when they did not. */
  convergedAt: string | null;
  checkedAt: string | null;
  /** The instances that ran it in the source, per tier, as the latest sweep saw them. */
  instances: Record<string, string[]>;
}

/** The source's evidence for a version, from its release record's time and its convergence record (if any). */
export function evidenceOf(
  version: string,
  publishedAt: string,
  record: ConvergenceRecord | undefined,
): PromotionEvidence {
  const same = record !== undefined && record.version === version;
  return {
    publishedAt,
    convergedAt: same ? record.convergedAt : null,
    checkedAt: same ? record.checkedAt : null,
    instances: same ? Object.fromEntries(Object.entries(record.tiers).map(([t, v]) => [t, v.instances])) : {},
  };
}

/** One line for `phoenix releases`: `from test (gate passed, soaked 42m)` or `from test (gate skipped by <arn>)`. */
export function promotionSummary(p: Promotion): string {
  if (p.gate.result === "skipped") return `from ${p.from} (gate skipped by ${p.gate.by})`;
  const { convergedAt, checkedAt } = p.evidence;
  const soaked =
    convergedAt !== null && checkedAt !== null
      ? `, soaked ${formatMinutes(soakedMinutes({ convergedAt, checkedAt }))}`
      : "";
  return `from ${p.from} (gate passed${soaked})`;
}
