// The rehearsal's `promote` scenario: two local environments, test and live, each with its own release store, fleet
// and rollout Lambda on one simulated clock, and the real `promote` (runtime/ops/promote.ts) between them, run as a
// build server's second stage runs it (`--wait-for-soak`: an attempt a minute until the soak is the only thing left,
// then through). The four steps, each checked on what the environments' own records say:
//   1. 1.0.274 is released to test, and test converges;
//   2. a promotion before the soak is refused, with the reason;
//   3. after the soak it is promoted, byte for byte and with its provenance, and live converges;
//   4. 1.0.275 is released to test and soaks; its promotion over a network that damages web's artifact is caught by
//      the checksum, and live's manifest (and everything else in its store) is untouched.
import * as fs from "node:fs";
import * as path from "node:path";
import { MANIFEST_KEY } from "../contract";
import { ConvergenceRecord } from "../core/convergence";
import { parseManifest } from "../core/manifest";
import { formatMinutes as minutesText, GateCheck, soakAlone } from "../core/promotion";
import { ObjectStore } from "../core/types";
import { promote, PromotionRefusedError } from "../ops/promote";
import { ChecksumMismatchError, readRecord } from "../ops/releases";
import { formatMinutes, Prng, SimClock } from "./clock";
import { defaultTiming } from "./instance-lifecycle";
import { LoopbackAddresses } from "./instance-server";
import { LocalEnvironment } from "./local-environment";
import { NEW_VERSION, OLD_VERSION } from "./scenarios";
import { prepareDirectory } from "./work-dir";

/** The scenario as `phoenix rehearse --help` lists it. */
export const PROMOTE_SCENARIO = {
  name: "promote",
  summary:
    `test and live, each its own store and fleet: ${NEW_VERSION} converges in test, is refused before the soak, ` +
    "is promoted after it, a damaged copy is caught",
};

/** The version of step 4, whose copy is damaged in transit. */
export const NEXT_VERSION = "1.0.275";

export interface PromotionRehearsalOptions {
  /** `<dir>/test`, `<dir>/live`: each environment's bucket, builds and sweep log. */
  workDir: string;
  /** @default 2 */
  instances?: number;
  /** @default 6 */
  bootMinutes?: number;
  /** @default 30 */
  soakMinutes?: number;
  /** @default 1 */
  seed?: number;
  /** Simulated seconds per wall-clock second. @default Infinity */
  speed?: number;
  /** Each line of the run's log as it happens: simulated time since minute zero, where from, what. */
  log?: (atMs: number, source: string, line: string) => void;
}

/** One step of the scenario, as it ended. */
export interface PromotionStep {
  step: number;
  what: string;
  ok: boolean;
  /** Simulated minutes since minute zero at which it ended. */
  atMinutes?: number;
  detail: string;
}

export interface PromotionRehearsalResult {
  scenario: "promote";
  ok: boolean;
  outcome: string;
  steps: PromotionStep[];
  /** Each environment's sweep log (replay any decision with `phoenix explain`). */
  sweepLogs: Record<string, string>;
}

const START = Date.UTC(2026, 0, 1, 9, 0, 0);
const SETUP_LEAD_MS = 60_000;
const SCHEDULE_MS = 5 * 60_000;
/** A build server's --wait-for-soak: one attempt a minute. */
const ATTEMPT_MS = 60_000;
const HORIZON_MS = 6 * 3_600_000;
const TIERS = ["web", "api"];
const BUILD_SERVER = "arn:aws:sts::000000000000:assumed-role/rehearsal/build-server";

/** Runs the scenario to its end (or its horizon) and says how each step went; both fleets are gone when it returns. */
export async function runPromotionRehearsal(options: PromotionRehearsalOptions): Promise<PromotionRehearsalResult> {
  prepareDirectory(options.workDir, `--dir ${options.workDir}`);
  const run = new PromotionRun(options);
  try {
    return await run.execute();
  } finally {
    await run.close();
  }
}

type Phase = "test-converging" | "soaking" | "live-converging" | "next-converging" | "next-soaking" | "done";

class PromotionRun {
  private readonly clock = new SimClock(START - SETUP_LEAD_MS);
  private readonly test: LocalEnvironment;
  private readonly live: LocalEnvironment;
  private readonly soakMinutes: number;
  private readonly steps: PromotionStep[] = [];
  private phase: Phase = "test-converging";
  /** A promotion attempt is scheduled or running: the loop does not start another. */
  private attempting = false;

  constructor(private readonly options: PromotionRehearsalOptions) {
    const seed = options.seed ?? 1;
    const random = new Prng(seed);
    this.soakMinutes = options.soakMinutes ?? 30;
    // Only what a previous run wrote is removed: --dir may name a directory that holds other things.
    for (const env of ["test", "live"]) fs.rmSync(path.join(options.workDir, env), { recursive: true, force: true });
    const environment = (name: string, salt: number) =>
      new LocalEnvironment({
        name,
        clock: this.clock,
        random,
        seed: seed + salt,
        timing: defaultTiming(options.bootMinutes ?? 6),
        tiers: TIERS,
        instances: options.instances ?? 2,
        dir: path.join(options.workDir, name),
        addresses: new LoopbackAddresses(process.pid + seed * 7 + salt),
        scheduleFrom: START,
        scheduleMs: SCHEDULE_MS,
        // A sweep that changed nothing says so per group every few minutes in two environments: left to the sweep log.
        log: (source, line) => {
          if (!/ 0 instances to terminate$/.test(line)) this.log(name, `${source} ${line}`.trim());
        },
      });
    this.test = environment("test", 0);
    this.live = environment("live", 25);
  }

  async execute(): Promise<PromotionRehearsalResult> {
    await this.test.deploy([OLD_VERSION]);
    await this.live.deploy([OLD_VERSION]);
    this.clock.at(START, "release", async () => {
      this.log("build", `phoenix release --env test --version ${NEW_VERSION}`);
      await this.test.release(NEW_VERSION);
    });
    const speed = this.options.speed ?? Number.POSITIVE_INFINITY;
    const wallStart = Date.now();
    while (this.phase !== "done" && this.clock.pending() > 0 && this.clock.peek()! <= START + HORIZON_MS) {
      const next = this.clock.peek()!;
      if (Number.isFinite(speed) && next > START) {
        const wait = wallStart + (next - START) / speed - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5_000)));
      }
      await this.clock.runNext();
      await this.advance();
    }
    const ok = this.phase === "done" && this.steps.length === 4 && this.steps.every((s) => s.ok);
    const stuck = this.phase === "done" ? undefined : `stopped at ${this.phase} after ${formatMinutes(this.rel())}`;
    return {
      scenario: "promote",
      ok,
      outcome: ok
        ? "every step went as it must: refused before the soak, promoted byte for byte after it, damage caught"
        : (this.steps.find((s) => !s.ok)?.detail ?? stuck ?? "incomplete"),
      steps: this.steps,
      sweepLogs: { test: this.test.sweepLogPath, live: this.live.sweepLogPath },
    };
  }

  close(): Promise<void> {
    return Promise.all([this.test.close(), this.live.close()]).then(() => undefined);
  }

  /** After each event: has the phase's condition come true? Then take the scenario's next action. */
  private async advance(): Promise<void> {
    if (this.phase === "test-converging") {
      const record = await this.test.convergedOn(NEW_VERSION);
      if (record === undefined) return;
      this.step(1, `test converged on ${NEW_VERSION}`, true, convergedText(record));
      if (!(await this.promoteEarly())) return;
      this.phase = "soaking";
      this.scheduleAttempt(NEW_VERSION);
    } else if (this.phase === "live-converging") {
      const record = await this.live.convergedOn(NEW_VERSION);
      if (record === undefined) return;
      if (!(await this.checkPromoted(record))) return;
      this.log("build", `phoenix release --env test --version ${NEXT_VERSION}`);
      await this.test.release(NEXT_VERSION);
      this.phase = "next-converging";
    } else if (this.phase === "next-converging") {
      if ((await this.test.convergedOn(NEXT_VERSION)) === undefined) return;
      this.log("test", `converged on ${NEXT_VERSION}; the build server waits for its soak`);
      this.phase = "next-soaking";
      this.scheduleAttempt(NEXT_VERSION);
    }
  }

  /** Step 2: promoting as soon as test converged, before any soak. */
  private async promoteEarly(): Promise<boolean> {
    this.log("build", "phoenix promote --from test --to live (at once)");
    const before = await contents(this.live.store);
    const refused = await this.promote(this.test.store).catch((err: unknown) => err);
    const untouched = JSON.stringify(await contents(this.live.store)) === JSON.stringify(before);
    if (!(refused instanceof PromotionRefusedError)) {
      this.step(2, "a promotion before the soak is refused", false, `it was not refused: ${describe(refused)}`);
      return false;
    }
    this.printGate(refused.gate.checks);
    const failing = refused.gate.checks.filter((c) => !c.ok);
    const onlySoak = refusedForSoakAlone(refused);
    return this.step(
      2,
      "a promotion before the soak is refused",
      onlySoak && untouched,
      onlySoak
        ? `refused, soak: ${failing[0].detail}${untouched ? "" : "; BUT live's store changed"}`
        : `refused for other reasons: ${failing.map((c) => `${c.name}: ${c.detail}`).join("; ")}`,
    );
  }

  /** The build server's next attempt, a minute from now (--wait-for-soak). */
  private scheduleAttempt(version: string): void {
    if (this.attempting) return;
    this.attempting = true;
    this.clock.after(ATTEMPT_MS, "promote attempt", async () => {
      this.attempting = false;
      if (version === NEW_VERSION) await this.attemptPromotion();
      else await this.attemptDamagedPromotion();
    });
  }

  /** Step 3's attempts: refused while soaking, then through. */
  private async attemptPromotion(): Promise<void> {
    try {
      const result = await this.promote(this.test.store);
      if ("skipped" in result.gate) throw new Error("the gate was skipped without --force");
      this.log("build", `phoenix promote --from test --to live: ${result.status} ${result.manifest.version}`);
      this.printGate(result.gate.checks);
      this.phase = "live-converging";
    } catch (err) {
      if (!refusedForSoakAlone(err)) {
        this.step(3, `${NEW_VERSION} is promoted after the soak`, false, `the promotion failed: ${describe(err)}`);
        this.phase = "done";
        return;
      }
      this.scheduleAttempt(NEW_VERSION);
    }
  }

  /** Step 3's check, once live converged: the same bytes as test's, the provenance, the time it took. */
  private async checkPromoted(liveRecord: ConvergenceRecord): Promise<boolean> {
    const [ours, theirs] = await Promise.all([
      readRecord(this.live.store, NEW_VERSION),
      readRecord(this.test.store, NEW_VERSION),
    ]);
    const soaked = ours?.promotion?.evidence;
    // When it was promoted, against when test's sweeps first saw it converged: both from live's record.
    const waited = (Date.parse(ours?.promotion?.at ?? "") - Date.parse(soaked?.convergedAt ?? "")) / 60_000;
    const problems = [
      ...(JSON.stringify(ours?.checksums) === JSON.stringify(theirs?.checksums) ? [] : ["checksums differ"]),
      ...(ours?.promotion?.from === "test" ? [] : ["no provenance from test"]),
      ...(ours?.promotion?.gate.result === "passed" ? [] : ["the gate did not pass"]),
      ...(waited >= this.soakMinutes ? [] : [`promoted ${minutesText(waited)} after test converged`]),
    ];
    return this.step(
      3,
      `${NEW_VERSION} is promoted after the soak, and live converges`,
      problems.length === 0,
      problems.length > 0
        ? problems.join("; ")
        : `live runs ${NEW_VERSION} (${convergedText(liveRecord)}); its record says from test, gate passed, test ` +
            `converged ${soaked?.convergedAt ?? "?"} and last seen so ${soaked?.checkedAt ?? "?"}; sha256 equal to test's`,
    );
  }

  /** Step 4's attempts: the same promotion over a network that flips a byte of web's artifact. */
  private async attemptDamagedPromotion(): Promise<void> {
    const before = await contents(this.live.store);
    const err = await this.promote(damaging(this.test.store, "web.zip")).catch((e: unknown) => e);
    if (refusedForSoakAlone(err)) {
      this.scheduleAttempt(NEXT_VERSION);
      return;
    }
    const manifest = await this.live.store.get(MANIFEST_KEY);
    const current = manifest && parseManifest(manifest.body.toString("utf8")).version;
    const untouched = JSON.stringify(await contents(this.live.store)) === JSON.stringify(before);
    const caught = err instanceof ChecksumMismatchError;
    if (caught) this.log("build", `phoenix promote --from test --to live: ${err.message}`);
    this.step(
      4,
      "a copy damaged in transit is caught by its checksum; live's manifest is untouched",
      caught && untouched && current === NEW_VERSION,
      caught
        ? `caught: ${err.message.split(";")[0]}; live's manifest still names ${current ?? "nothing"}` +
            (untouched ? ", and nothing in its store changed" : ", BUT its store changed")
        : `not caught: ${describe(err)}`,
    );
    this.phase = "done";
  }

  private promote(source: ObjectStore) {
    return promote(
      {
        source: { environment: "test", store: source, fleet: this.test.fleet },
        target: { environment: "live", store: this.live.store, fleet: this.live.fleet },
        caller: () => Promise.resolve(BUILD_SERVER),
      },
      { soakMinutes: this.soakMinutes, now: () => new Date(this.clock.now()) },
    );
  }

  private printGate(checks: GateCheck[]): void {
    for (const c of checks) this.log("gate", `${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`);
  }

  /** Records how a step ended; resolves to whether it went as it must. */
  private step(step: number, what: string, ok: boolean, detail: string): boolean {
    const atMinutes = Math.round((this.rel() / 60_000) * 10) / 10;
    this.steps.push({ step, what, ok, atMinutes, detail });
    this.log("step", `${step}. ${what}: ${ok ? "yes" : "NO"} (${detail})`);
    // A step that went wrong ends the run: what follows would rest on it.
    if (!ok) this.phase = "done";
    return ok;
  }

  private log(source: string, line: string): void {
    this.options.log?.(this.rel(), source, line);
  }

  private rel(): number {
    return this.clock.now() - START;
  }
}

/** A refusal for the soak alone: what --wait-for-soak waits out (the build server tries again in a minute). */
function refusedForSoakAlone(err: unknown): boolean {
  return err instanceof PromotionRefusedError && soakAlone(err.gate) !== undefined;
}

/** `since 09:08:40 (2 sweeps later, 12m)`: when the record says the environment converged, and how long ago. */
function convergedText(record: ConvergenceRecord): string {
  const minutes = (Date.parse(record.checkedAt) - Date.parse(record.convergedAt!)) / 60_000;
  return `converged since ${record.convergedAt}, last confirmed ${record.checkedAt} (${minutesText(minutes)})`;
}

/** The source's store seen over a network that flips the last byte of one artifact on every read of it. */
function damaging(store: ObjectStore, suffix: string): ObjectStore {
  return {
    get: async (key) => {
      const object = await store.get(key);
      if (object === undefined || !key.endsWith(suffix)) return object;
      const body = Buffer.from(object.body);
      body[body.length - 1] ^= 0xff;
      return { ...object, body };
    },
    put: (key, body, options) => store.put(key, body, options),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
  };
}

/** Every key of a store and its entity tag. */
async function contents(store: ObjectStore): Promise<Record<string, string>> {
  const keys = await store.list("");
  const tags = await Promise.all(
    keys.map(async (k): Promise<[string, string]> => [k, (await store.head(k))?.etag ?? ""]),
  );
  return Object.fromEntries(tags);
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : `it went through (${JSON.stringify(value)})`;
}
