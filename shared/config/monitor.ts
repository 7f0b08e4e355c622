import { z } from 'zod';
import { safeRegexProblem } from '../regex/index.js';

/**
 * The `monitor:` section: sampling cadences, storage cadence, and the process families to watch.
 *
 * Cadences (Phase 6 document, collection_interval: 30秒 / 1分 / 5分): the live tick drives the
 * dashboard; the process scan, disk space and the stored series run on multiples of it. A stored
 * sample is the mean of the live values of its window for rates (CPU, IO, network) and the last value
 * for gauges (memory, disk space, counts), so storing every 30 s loses no CPU spike's weight.
 */

/** A pattern that runs in linear time (shared/regex): a crafted command line can never hang the monitor. */
const regexText = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const problem = safeRegexProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One way to recognise a process; every field given must match. */
export const familyMatchSchema = z
  .strictObject({
    /**
     * Regex on the executable's base name without `.exe` (e.g. `chrome|chromium`), anchored at both ends,
     * case-insensitive. Tried on the name the OS reports and on the first word of the command line.
     */
    exe: regexText.optional(),
    /**
     * Regex searched in the whole command line, case-insensitive. Backslashes in the command line are
     * turned into `/` before matching, so write paths with `/`: `reply_bot/\w+\.py` matches both
     * `reply_bot\multi_main.py` and `reply_bot/multi_main.py`.
     */
    cmdline: regexText.optional(),
  })
  .refine((m) => m.exe !== undefined || m.cmdline !== undefined, { message: 'give exe, cmdline or both' });
export type FamilyMatch = z.infer<typeof familyMatchSchema>;

const familyName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'letters, digits, "-" and "_" only (e.g. bot-chrome)');

/**
 * A process family as written in YAML. `exe`/`cmdline` at the top level are shorthand for one
 * `match` entry. `descendantOf` and `profileUnderBotFolder` narrow the matched processes: a process
 * must satisfy at least one of those given (either suffices when both are).
 */
export const familyInputSchema = z
  .strictObject({
    name: familyName,
    exe: regexText.optional(),
    cmdline: regexText.optional(),
    /** Alternatives: a process matching any entry matches the family. */
    match: z.array(familyMatchSchema).optional(),
    /** A process some ancestor of which belongs to one of these families (the family itself allowed). */
    descendantOf: z.union([familyName, z.array(familyName)]).optional(),
    /** A Chrome whose `--user-data-dir` lies under one of `bots.folders`. */
    profileUnderBotFolder: z.boolean().default(false),
    /**
     * Members without a living ancestor in this family are orphans (a bot Chrome or chromedriver whose
     * Python was killed). On Windows orphans count as zombies.
     */
    orphanWithout: familyName.optional(),
    /** The emergency stop stops this family's processes (families in list order). */
    stopOnEmergency: z.boolean().default(false),
    notes: z.string().optional(),
  })
  .refine((f) => f.exe !== undefined || f.cmdline !== undefined || (f.match?.length ?? 0) > 0, {
    message: 'a family needs exe, cmdline or match',
  });
export type FamilyInput = z.input<typeof familyInputSchema>;

/** A family in the normalised form the monitor and the emergency stop use. */
export interface FamilyDef {
  name: string;
  match: FamilyMatch[];
  descendantOf: string[];
  profileUnderBotFolder: boolean;
  orphanWithout?: string;
  stopOnEmergency: boolean;
}

export const familyDefSchema = familyInputSchema.transform((f): FamilyDef => {
  const match = [...(f.match ?? [])];
  if (f.exe !== undefined || f.cmdline !== undefined) {
    match.unshift({ ...(f.exe ? { exe: f.exe } : {}), ...(f.cmdline ? { cmdline: f.cmdline } : {}) });
  }
  const descendantOf =
    f.descendantOf === undefined ? [] : Array.isArray(f.descendantOf) ? f.descendantOf : [f.descendantOf];
  return {
    name: f.name,
    match,
    descendantOf,
    profileUnderBotFolder: f.profileUnderBotFolder,
    ...(f.orphanWithout ? { orphanWithout: f.orphanWithout } : {}),
    stopOnEmergency: f.stopOnEmergency,
  };
});

const CHROME_EXE =
  'chrome|chromium|chromium-browser|google-chrome(?:-stable|-beta|-unstable)?|chrome_crashpad(?:_handler)?';
const PYTHON_EXE = 'python(?:\\d+(?:\\.\\d+)*)?w?|py|pypy\\d*';

/**
 * The two real bots as they run today (BOTS.md): TwitterBot Nexus 02 (`python -m reply_bot.multi_main`,
 * chromedriver, Chrome with `--user-data-dir` under the bot folder) and TradingAssistantX
 * (`tsx src/main.ts` / `tsx src/dev.ts`). The stop order is the list order of the stopping families.
 */
export const defaultFamilies: FamilyInput[] = [
  { name: 'chrome', exe: CHROME_EXE },
  { name: 'python', exe: PYTHON_EXE },
  {
    name: 'bot-runner',
    match: [
      { exe: PYTHON_EXE, cmdline: '(?:^|\\s)-m\\s+["\']?reply_bot\\.\\w+|reply_bot/\\w+\\.py\\b' },
      { exe: 'node|tsx', cmdline: 'tsx\\b.*\\bsrc/(?:main|dev)\\.ts\\b' },
    ],
    stopOnEmergency: true,
  },
  {
    name: 'bot-driver',
    exe: 'chromedriver',
    descendantOf: 'bot-runner',
    orphanWithout: 'bot-runner',
    stopOnEmergency: true,
  },
  {
    name: 'bot-chrome',
    exe: CHROME_EXE,
    profileUnderBotFolder: true,
    descendantOf: ['bot-driver', 'bot-chrome'],
    orphanWithout: 'bot-runner',
    stopOnEmergency: true,
  },
  {
    // The relay Nexus Ops starts a supervised bot through (electron/core/bots): a stop from the CLI with
    // no app open ends it (and the bot under it) even when no other family matches the bot.
    name: 'bot-relay',
    cmdline: 'bot-relay\\.cjs',
    stopOnEmergency: true,
  },
];

export const familiesSchema = z.array(familyDefSchema).superRefine((families, ctx) => {
  const names = new Set<string>();
  families.forEach((f, i) => {
    if (names.has(f.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate family "${f.name}"` });
    }
    names.add(f.name);
  });
  families.forEach((f, i) => {
    // Zod still runs this check when an item failed its own schema; such an item is left untransformed.
    if (!Array.isArray(f.descendantOf)) return;
    for (const ref of [...f.descendantOf, ...(f.orphanWithout ? [f.orphanWithout] : [])]) {
      if (!names.has(ref)) {
        ctx.addIssue({ code: 'custom', path: [i], message: `unknown family "${ref}"` });
      }
    }
  });
});

export function parseDefaultFamilies(): FamilyDef[] {
  return familiesSchema.parse(defaultFamilies);
}

export const monitorConfigSchema = z.strictObject({
  /** Live tick for the dashboard, seconds: CPU, memory, disk and network IO are sampled every tick. */
  liveIntervalSeconds: z.number().min(1).max(300).default(5),
  /** Full process scan (families, instances); rounded up to a multiple of the live tick. */
  processIntervalSeconds: z.number().min(1).max(600).default(5),
  /** Disk space (statfs of every mount). */
  diskSpaceIntervalSeconds: z.number().min(1).max(3600).default(60),
  /** Raw tier: one stored sample per series per window (the documents' 30 s high-frequency tier). */
  storeIntervalSeconds: z.number().min(1).max(3600).default(30),
  /** 5-minute and hourly rollups, and the leak trend, are brought up to date this often. */
  rollupIntervalSeconds: z.number().min(10).max(3600).default(60),
  /** Mounts or drives to watch ("/", "C:"); empty means every disk the OS reports. */
  disks: z.array(z.string().min(1)).default([]),
  /** Linux: a process in D state (uninterruptible IO) this long, over consecutive scans, is hung. */
  hungAfterSeconds: z.number().min(1).default(30),
  /** Phase 6 document: memory_growth_rate > 10MB/hour for 6h. */
  leak: z
    .strictObject({
      thresholdMbPerHour: z.number().positive().default(10),
      windowHours: z.number().min(1).max(48).default(6),
    })
    .prefault({}),
  /** Missing = the shipped defaults (chrome, python, bot-runner, bot-driver, bot-chrome). */
  families: familiesSchema.default(() => parseDefaultFamilies()),
});
export type MonitorConfig = z.output<typeof monitorConfigSchema>;
export type MonitorConfigInput = z.input<typeof monitorConfigSchema>;
