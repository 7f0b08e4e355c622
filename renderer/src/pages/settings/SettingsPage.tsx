import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SettingsView } from '../../../../shared/api/settings.js';
import { api } from '../../api/client.js';
import { formatDateTime, LANGUAGES, type Language } from '../../i18n/index.js';
import {
  createSilence,
  endSilence,
  loadSilences,
  rememberedOperator,
  startAlertUpdates,
  useAlerts,
} from '../../stores/alerts.js';
import { chooseLanguage, loadSettings, saveSettings, useSettings } from '../../stores/settings.js';
import '../checklists/opsday.css';

type Channel = SettingsView['channels'][number];

function SecretInput({ channel, secretKey, state }: { channel: string; secretKey: string; state: string }) {
  const { t } = useTranslation('settings');
  const [value, setValue] = useState('');
  return (
    <div className="row">
      <code>{secretKey}</code>
      <span className="muted" data-testid={`secret-${channel}-${secretKey}`}>
        {t(`secret.${state}`)}
      </span>
      <input
        type="password"
        autoComplete="off"
        value={value}
        placeholder={t('secret.placeholder')}
        aria-label={`${channel} ${secretKey}`}
        onChange={(e) => setValue(e.target.value)}
      />
      <button
        type="button"
        disabled={!value}
        onClick={() =>
          void saveSettings([{ path: ['notify', 'channels', `#${channel}`, secretKey], value }]).then(
            (err) => {
              if (!err) setValue('');
            },
          )
        }
      >
        {t('secret.save')}
      </button>
    </div>
  );
}

function ChannelRow({ channel }: { channel: Channel }) {
  const { t } = useTranslation('settings');
  const [test, setTest] = useState<string | null>(null);
  const set = (key: string, value: unknown) =>
    void saveSettings([{ path: ['notify', 'channels', `#${channel.id}`, key], value }]);
  return (
    <li
      className="checklist-item"
      style={{ gridTemplateColumns: '1fr' }}
      data-testid="settings-channel"
      data-channel={channel.id}
    >
      <div className="row">
        <strong>{channel.id}</strong>
        <span className="muted">{channel.type}</span>
        <label className="row">
          <input
            type="checkbox"
            checked={channel.enabled}
            onChange={(e) => set('enabled', e.target.checked)}
            data-testid="channel-enabled"
          />
          {t('channel.enabled')}
        </label>
        <label className="row">
          {t('channel.minSeverity')}
          <select value={channel.minSeverity} onChange={(e) => set('minSeverity', e.target.value)}>
            {['info', 'warning', 'critical'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <button
          type="button"
          data-testid="channel-test"
          onClick={() =>
            void api
              .call('notify.test', { channelId: channel.id })
              .then((r) =>
                setTest(
                  r.ok
                    ? `${r.value.status}${r.value.lastError ? `: ${r.value.lastError}` : ''}`
                    : r.error.message,
                ),
              )
          }
        >
          {t('channel.test')}
        </button>
      </div>
      {channel.secrets.map((s) => (
        <SecretInput
          key={s.key}
          channel={channel.id}
          secretKey={s.key}
          state={s.state === 'env' ? `env` : s.state}
        />
      ))}
      {channel.secrets.some((s) => s.envRef) && (
        <div className="muted">
          {channel.secrets
            .filter((s) => s.envRef)
            .map((s) => `${s.key}: ${s.envRef}`)
            .join(' · ')}
        </div>
      )}
      {test && (
        <div className="muted" data-testid="channel-test-result">
          {t('channel.testResult', { result: test })}
        </div>
      )}
    </li>
  );
}

function Silences() {
  const { t } = useTranslation('settings');
  const silences = useAlerts((s) => s.silences);
  const rules = useAlerts((s) => s.rules);
  const [ruleId, setRuleId] = useState('');
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const by = rememberedOperator() || 'operator';
  return (
    <section className="panel" data-testid="settings-silences">
      <h3>{t('silences.title')}</h3>
      {silences.length === 0 && <p className="muted">{t('silences.none')}</p>}
      <ul>
        {silences.map((s) => (
          <li key={s.id} className="row">
            <span>{s.ruleId ?? s.matchers.map((m) => `${m.label}${m.op}${m.value}`).join(', ')}</span>
            <span className="muted">
              {t('silences.until', { time: formatDateTime(s.endsAt), reason: s.reason })}
            </span>
            {s.source === 'api' && (
              <button type="button" onClick={() => void endSilence(s.id, by)}>
                {t('silences.end')}
              </button>
            )}
          </li>
        ))}
      </ul>
      <div className="row">
        <select value={ruleId} onChange={(e) => setRuleId(e.target.value)} aria-label={t('silences.rule')}>
          <option value="">{t('silences.rule')}</option>
          {rules.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
        <input
          type="number"
          min={1}
          value={minutes}
          onChange={(e) => setMinutes(Number(e.target.value))}
          style={{ width: 80 }}
          aria-label={t('silences.minutes')}
        />
        <span className="muted">{t('silences.minutes')}</span>
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('silences.reason')}
        />
        <button
          type="button"
          disabled={!ruleId || !reason.trim()}
          onClick={() =>
            void createSilence({ ruleId, matchers: [], durationMinutes: minutes, reason, by }).then((r) => {
              setError(r.ok ? null : r.error.message);
              if (r.ok) setReason('');
            })
          }
        >
          {t('silences.add')}
        </button>
      </div>
      {error && <p className="form-error">{error}</p>}
    </section>
  );
}

function Reminders({ view }: { view: SettingsView }) {
  const { t } = useTranslation('settings');
  const r = view.checklists.reminders;
  const [after, setAfter] = useState(String(r.afterMinutes));
  const [channels, setChannels] = useState(r.channels.join(', '));
  useEffect(() => {
    setAfter(String(r.afterMinutes));
    setChannels(r.channels.join(', '));
  }, [r.afterMinutes, r.channels]);
  const path = (key: string) => ['checklists', 'reminders', key];
  return (
    <section className="panel" data-testid="settings-reminders">
      <h3>{t('reminders.title')}</h3>
      <p className="muted">{t('reminders.help', { zone: view.checklists.effectiveTimezone })}</p>
      <label className="row">
        <input
          type="checkbox"
          checked={r.enabled}
          onChange={(e) => void saveSettings([{ path: path('enabled'), value: e.target.checked }])}
        />
        {t('reminders.enabled')}
      </label>
      <div className="row">
        <label className="field">
          {t('reminders.afterMinutes')}
          <input value={after} onChange={(e) => setAfter(e.target.value)} data-testid="reminders-after" />
        </label>
        <label className="field">
          {t('reminders.channels')}
          <input value={channels} onChange={(e) => setChannels(e.target.value)} />
        </label>
        <label className="field">
          {t('reminders.severity')}
          <select
            value={r.severity}
            onChange={(e) => void saveSettings([{ path: path('severity'), value: e.target.value }])}
          >
            {['info', 'warning', 'critical'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button
          type="button"
          data-testid="reminders-save"
          onClick={() =>
            void saveSettings([
              { path: path('afterMinutes'), value: Number(after) },
              {
                path: path('channels'),
                value: channels
                  .split(',')
                  .map((c) => c.trim())
                  .filter(Boolean),
              },
            ])
          }
        >
          {t('save')}
        </button>
      </div>
      <label className="row">
        <input
          type="checkbox"
          checked={view.overdueEscalation.enabled}
          data-testid="reminders-escalate"
          onChange={(e) =>
            void saveSettings([
              { path: ['alerts', 'rules', '#checklist-overdue', 'enabled'], value: e.target.checked },
            ])
          }
        />
        {t('reminders.escalate')}
      </label>
    </section>
  );
}

export function SettingsPage() {
  const { t, i18n } = useTranslation('settings');
  const view = useSettings((s) => s.view);
  const loadError = useSettings((s) => s.loadError);
  const saveError = useSettings((s) => s.saveError);
  const [opened, setOpened] = useState<string | null>(null);
  useEffect(() => {
    void loadSettings();
    startAlertUpdates();
    void loadSilences();
  }, []);
  if (loadError) return <p className="form-error">{loadError}</p>;
  if (!view) return <p className="muted">{t('loading')}</p>;
  return (
    <div className="page ops" data-testid="settings-page">
      {saveError && (
        <div className="banner critical" role="alert" data-testid="settings-error">
          <strong>{t('refused')}</strong> {saveError}
        </div>
      )}
      {view.issues.length > 0 && (
        <div className="banner warning">{t('fileIssues', { count: view.issues.length })}</div>
      )}
      <div className="grid2">
        <section className="panel">
          <h3>{t('language.title')}</h3>
          <select
            value={i18n.language}
            onChange={(e) => void chooseLanguage(e.target.value as Language)}
            data-testid="settings-language"
          >
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {t(`language.${l}`)}
              </option>
            ))}
          </select>
          <p className="muted">{t('language.help')}</p>
        </section>
        <section className="panel">
          <h3>{t('file.title')}</h3>
          <code data-testid="settings-file">{view.configFile}</code>
          <div className="row">
            <button
              type="button"
              onClick={() =>
                void api
                  .call('settings.openConfig', {})
                  .then((r) => setOpened(r.ok && r.value.opened ? t('file.opened') : t('file.notOpened')))
              }
            >
              {t('file.open')}
            </button>
            {!view.writable && <span className="form-error">{t('file.readOnly')}</span>}
          </div>
          {opened && <p className="muted">{opened}</p>}
          <p className="muted">{t('file.help')}</p>
        </section>
      </div>
      <section className="panel">
        <h3>{t('channels.title')}</h3>
        <p className="muted">{t('channels.help')}</p>
        <ul className="checklist-items">
          {view.channels.map((c) => (
            <ChannelRow key={c.id} channel={c} />
          ))}
        </ul>
      </section>
      <Reminders view={view} />
      <Silences />
    </div>
  );
}
