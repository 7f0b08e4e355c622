import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { ApiFailure } from '../../../shared/api/contract.js';
import type { SettingsView } from '../../../shared/api/settings.js';
import { alertRuleSchema } from '../../../shared/config/alerts.js';
import { NOTIFY_PUBLIC_VALUES, NOTIFY_SECRET_KEYS } from '../../../shared/config/notify.js';
import { defaultRules } from '../alerts/index.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import { localTimeZone } from '../clock/index.js';
import { parseConfigText } from '../config/index.js';
import { maskSecrets, redactConfig } from '../secrets/index.js';
import { applyChanges, openerCommand, SettingsError, writeFileAtomic } from './writeback.js';

export const OVERDUE_RULE_ID = 'checklist-overdue';

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ApiFailure('unavailable', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Settings: what an operator changes daily without opening YAML. Every change is validated with the
 * config schema and written back into the config file with its comments kept, atomically; the live
 * config then reloads it as it does any edit, and `ui.locale` drives both the UI and the tray texts.
 */
export function createSettingsCapability(ctx: CoreContext): Capability {
  const file = ctx.config.file;

  function view(text: string): SettingsView {
    const load = parseConfigText(text, file);
    // A broken file is shown as the running config (the last good one) with its problems.
    const config = load.ok ? load.config : ctx.config.current();
    const raw = (load.ok ? load.raw : {}) as {
      notify?: { channels?: Record<string, unknown>[] };
      alerts?: { rules?: unknown[] };
    };
    const rawChannels = raw.notify?.channels ?? [];
    let writable = true;
    try {
      accessSync(file, constants.W_OK);
    } catch {
      writable = false;
    }
    const overdue = (config.alerts.rules ?? defaultRules)
      .map((r) => alertRuleSchema.safeParse(r))
      .find((r) => r.success && r.data.id === OVERDUE_RULE_ID);
    return {
      configFile: file,
      baseHash: hashOf(text),
      writable,
      locale: config.ui.locale,
      channels: config.notify.channels.map((c) => {
        const rawChannel = rawChannels.find((r) => r.id === c.id) ?? {};
        const { id, type, enabled, minSeverity, ...rest } = c;
        const secrets = NOTIFY_SECRET_KEYS.filter((k) => k in rest).map((key) => {
          const value = rawChannel[key];
          const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
          const env = text.includes('${env:');
          return {
            key,
            state:
              value === undefined || value === ''
                ? ('unset' as const)
                : env
                  ? ('env' as const)
                  : ('set' as const),
            envRef: env ? maskSecrets(text) : null,
          };
        });
        const publicFields = Object.fromEntries(
          Object.entries(rest).filter(([k]) => !(NOTIFY_SECRET_KEYS as readonly string[]).includes(k)),
        );
        return {
          id,
          type,
          enabled,
          minSeverity,
          fields: redactConfig(publicFields, NOTIFY_SECRET_KEYS, NOTIFY_PUBLIC_VALUES),
          secrets,
        };
      }),
      checklists: {
        timezone: config.checklists.timezone ?? null,
        effectiveTimezone: config.checklists.timezone ?? config.alerts.timezone ?? localTimeZone(),
        reminders: config.checklists.reminders,
        schedules: config.checklists.schedules,
      },
      overdueEscalation: {
        present: overdue !== undefined,
        enabled: overdue?.success ? overdue.data.enabled : false,
      },
      issues: load.ok ? [] : load.issues,
    };
  }

  const handlers: HandlersOf<'settings'> = {
    'settings.get': () => view(readText(file)),
    'settings.update': ({ changes, by, baseHash }) => {
      const text = readText(file);
      if (baseHash !== undefined && baseHash !== hashOf(text)) {
        throw new ApiFailure(
          'conflict',
          `${file} changed since the page read it: reload the settings and try again`,
        );
      }
      let next: { text: string; summary: string[] };
      try {
        next = applyChanges(text, file, changes, {
          secretKeys: NOTIFY_SECRET_KEYS,
          shippedRule: (id) => defaultRules.find((r) => r.id === id),
        });
      } catch (err) {
        if (err instanceof SettingsError) throw new ApiFailure('invalid_input', err.message);
        throw err;
      }
      try {
        writeFileAtomic(file, next.text);
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        throw new ApiFailure(
          'unavailable',
          `cannot write ${file} (${code || (err as Error).message}): check that the file and its folder are writable`,
        );
      }
      ctx.store.appendAudit({
        actor: by,
        action: 'settings.update',
        details: { file, changes: next.summary },
      });
      ctx.log.info(`settings: ${by} changed ${next.summary.join(', ')}`);
      // The file was written whole and atomically: the change takes effect now, not after it settles.
      ctx.config.reloadNow?.();
      return view(next.text);
    },
    'settings.openConfig': () => {
      const opener = ctx.mode === 'desktop' ? openerCommand(process.platform, file) : null;
      if (!opener) return { opened: false, file };
      try {
        const child = spawn(opener.command, opener.args, {
          detached: true,
          stdio: 'ignore',
          windowsHide: false,
        });
        child.on('error', (err) => ctx.log.warn(`settings: cannot open ${file}: ${err.message}`));
        child.unref();
        return { opened: true, file };
      } catch {
        return { opened: false, file };
      }
    },
  };

  return { name: 'settings', handlers };
}
