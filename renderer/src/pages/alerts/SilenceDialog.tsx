import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../../shared/api/alerts.js';
import type { LabelMatcher } from '../../../../shared/config/alerts.js';
import { formatDateTime } from '../../i18n/index.js';
import { createSilence, rememberedOperator, rememberOperator, useAlerts } from '../../stores/alerts.js';
import { fromDateTimeLocal, toDateTimeLocal } from './format.js';
import { Modal, ModalFormFoot } from './Modal.js';

const PRESETS = [60, 240, 1440] as const;
type Duration = (typeof PRESETS)[number] | 'custom';
type Scope = 'rule' | 'labels';
const MATCH_OPS: LabelMatcher['op'][] = ['=', '!=', '=~', '!~'];

interface MatcherRow {
  key: number;
  label: string;
  op: LabelMatcher['op'];
  value: string;
}

let rowKey = 0;

function rowsFrom(labels: Record<string, string> | undefined): MatcherRow[] {
  const rows = Object.entries(labels ?? {}).map(([label, value]) => ({
    key: rowKey++,
    label,
    op: '=' as const,
    value,
  }));
  return rows.length > 0 ? rows : [{ key: rowKey++, label: '', op: '=', value: '' }];
}

/** Silence one rule, or every alert whose labels match, for a preset time or until a chosen end. */
export function SilenceDialog({ alert, onClose }: { alert?: Alert; onClose: () => void }) {
  const { t } = useTranslation('alerts');
  const rules = useAlerts((s) => s.rules);
  const [scope, setScope] = useState<Scope>('rule');
  const [ruleId, setRuleId] = useState(alert?.ruleId ?? rules[0]?.id ?? '');
  const [rows, setRows] = useState<MatcherRow[]>(() => rowsFrom(alert?.labels));
  const [duration, setDuration] = useState<Duration>(60);
  const [customEnd, setCustomEnd] = useState(() => toDateTimeLocal(Date.now() + 2 * 3_600_000));
  const [reason, setReason] = useState('');
  const [by, setBy] = useState(rememberedOperator);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const ruleChoices =
    alert && !rules.some((r) => r.id === alert.ruleId)
      ? [{ id: alert.ruleId, name: alert.ruleName }, ...rules]
      : rules;

  function updateRow(key: number, patch: Partial<MatcherRow>) {
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const matchers = rows
      .filter((r) => r.label.trim())
      .map((r) => ({ label: r.label.trim(), op: r.op, value: r.value }));
    if (scope === 'rule' && !ruleId) return setError(t('silence.ruleRequired'));
    if (scope === 'labels' && matchers.length === 0) return setError(t('silence.matcherRequired'));
    if (!reason.trim()) return setError(t('silence.reasonRequired'));
    if (!by.trim()) return setError(t('ack.nameRequired'));
    let end: { endsAt: number } | { durationMinutes: number };
    if (duration === 'custom') {
      const endsAt = fromDateTimeLocal(customEnd);
      if (endsAt === null || endsAt <= Date.now()) return setError(t('silence.endInPast'));
      end = { endsAt };
    } else {
      end = { durationMinutes: duration };
    }
    setBusy(true);
    const r = await createSilence({
      ...(scope === 'rule' ? { ruleId, matchers: [] } : { matchers }),
      ...end,
      reason: reason.trim(),
      by: by.trim(),
    });
    setBusy(false);
    if (!r.ok) return setError(t('error.action', { message: r.error.message }));
    rememberOperator(by);
    onClose();
  }

  const previewEnd =
    duration === 'custom' ? fromDateTimeLocal(customEnd) : Date.now() + Number(duration) * 60_000;

  return (
    <Modal title={t('silence.title')} onClose={onClose} testId="silence-dialog" wide>
      <form onSubmit={submit} className="alerts-form">
        <fieldset className="segmented">
          <legend>{t('silence.scope')}</legend>
          {(['rule', 'labels'] as const).map((s) => (
            <label key={s} className={scope === s ? 'on' : ''}>
              <input
                type="radio"
                name="silence-scope"
                checked={scope === s}
                onChange={() => setScope(s)}
                data-testid={`silence-scope-${s}`}
              />
              {t(`silence.scope_${s}`)}
            </label>
          ))}
        </fieldset>

        {scope === 'rule' ? (
          <label>
            {t('silence.rule')}
            <select value={ruleId} onChange={(e) => setRuleId(e.target.value)} data-testid="silence-rule">
              {ruleChoices.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name === r.id ? r.id : `${r.name} (${r.id})`}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <div className="matchers">
            <span>{t('silence.matchers')}</span>
            {rows.map((r) => (
              <div key={r.key} className="matcher-row">
                <input
                  value={r.label}
                  onChange={(e) => updateRow(r.key, { label: e.target.value })}
                  placeholder={t('silence.labelName')}
                  aria-label={t('silence.labelName')}
                />
                <select
                  value={r.op}
                  onChange={(e) => updateRow(r.key, { op: e.target.value as LabelMatcher['op'] })}
                  aria-label={t('silence.matchOp')}
                >
                  {MATCH_OPS.map((op) => (
                    <option key={op} value={op}>
                      {op}
                    </option>
                  ))}
                </select>
                <input
                  value={r.value}
                  onChange={(e) => updateRow(r.key, { value: e.target.value })}
                  placeholder={t('silence.labelValue')}
                  aria-label={t('silence.labelValue')}
                />
                <button
                  type="button"
                  className="icon"
                  onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}
                  aria-label={t('silence.removeMatcher')}
                  disabled={rows.length === 1}
                >
                  −
                </button>
              </div>
            ))}
            <button
              type="button"
              className="link"
              onClick={() => setRows((rs) => [...rs, { key: rowKey++, label: '', op: '=', value: '' }])}
            >
              {t('silence.addMatcher')}
            </button>
            <p className="muted small">{t('silence.matchersHint')}</p>
          </div>
        )}

        <fieldset className="segmented">
          <legend>{t('silence.duration')}</legend>
          {[...PRESETS, 'custom' as const].map((d) => (
            <label key={d} className={duration === d ? 'on' : ''}>
              <input
                type="radio"
                name="silence-duration"
                checked={duration === d}
                onChange={() => setDuration(d)}
                data-testid={`silence-duration-${d}`}
              />
              {d === 'custom' ? t('silence.custom') : t('silence.hours', { count: d / 60 })}
            </label>
          ))}
        </fieldset>
        {duration === 'custom' && (
          <label>
            {t('silence.endsAt')}
            <input
              type="datetime-local"
              value={customEnd}
              min={toDateTimeLocal(Date.now())}
              onChange={(e) => setCustomEnd(e.target.value)}
              data-testid="silence-ends-at"
            />
          </label>
        )}
        {previewEnd !== null && (
          <p className="muted small">{t('silence.until', { time: formatDateTime(previewEnd) })}</p>
        )}

        <label>
          {t('silence.reason')}
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            maxLength={500}
            required
            placeholder={t('silence.reasonPlaceholder')}
            data-autofocus
            data-testid="silence-reason"
          />
        </label>
        <label>
          {t('ack.name')}
          <input
            value={by}
            onChange={(e) => setBy(e.target.value)}
            maxLength={100}
            required
            data-testid="silence-by"
          />
        </label>
        <ModalFormFoot
          error={error}
          busy={busy}
          onCancel={onClose}
          submitLabel={t('silence.submit')}
          submitTestId="silence-submit"
        />
      </form>
    </Modal>
  );
}
