import { useTranslation } from 'react-i18next';
import type { DmsStateView } from '../../../../shared/api/telemetry.js';
import { formatSpan, formatWhen } from './format.js';

const LEVEL: Record<DmsStateView['state'], string> = {
  up: 'ok',
  running: 'running',
  paused: 'stopped',
  late: 'warning',
  down: 'critical',
};

/** The reason's words in the page's language, from its code and numbers (times local, spans readable). */
export function useReasonText(): (s: DmsStateView) => string {
  const { t } = useTranslation('telemetry');
  return (s) => {
    const p = s.params;
    const when = (k: string) => formatWhen(p[k] ?? null);
    const span = (k: string) =>
      p[k] === null || p[k] === undefined ? '–' : formatSpan((p[k] as number) / 1000);
    return t(`dms.reason.${s.reason}`, {
      slot: when('slot'),
      since: when('since'),
      missed: p.missed ?? 0,
      startedAt: when('startedAt'),
      finishedAt: when('finishedAt'),
      previousAt: when('previousAt'),
      next: when('next'),
      duration: span('durationMs'),
      limit: span('limitMs'),
      failed: p.failed ?? 0,
      runs: p.runs ?? 0,
      pct: p.pct ?? 0,
      maxPct: p.maxPct ?? 0,
      exitCode: p.exitCode ?? '–',
    });
  };
}

/** A bot's dead-man's switch: its state and, beside it, why. */
export function DeadManBadge({ state }: { state: DmsStateView }) {
  const { t } = useTranslation('telemetry');
  const reason = useReasonText();
  return (
    <div
      className="dms"
      data-testid="dms-badge"
      data-bot={state.bot}
      data-state={state.state}
      data-reason={state.reason}
    >
      <span className={`pill ${LEVEL[state.state]}`} title={state.schedule}>
        {t(`dms.state.${state.state}`)}
      </span>
      <span className="dms-reason">{reason(state)}</span>
    </div>
  );
}
