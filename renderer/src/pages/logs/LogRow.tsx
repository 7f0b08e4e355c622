import { useTranslation } from 'react-i18next';
import type { LogRecord } from '../../../../shared/api/logs.js';
import { formatLogTime, Highlighted } from './format.js';

export function LogRow({
  record,
  highlights = [],
  onOpen,
  current = false,
}: {
  record: LogRecord;
  highlights?: readonly [number, number][];
  onOpen?: (id: number) => void;
  current?: boolean;
}) {
  const { t } = useTranslation('logs');
  const body = (
    <>
      <time className="log-time" dateTime={new Date(record.ts).toISOString()}>
        {formatLogTime(record.ts)}
      </time>
      <span className={`log-level level-${record.level}`} data-testid="log-level">
        {t(`level.${record.level}`)}
      </span>
      <span className="log-bot">{record.botId}</span>
      <span className="log-account">{record.account ?? ''}</span>
      <pre className="log-message" data-testid="log-message">
        {record.stream === 'stderr' && <span className="log-stream">{t('stream.stderr')}</span>}
        {record.raw && <span className="log-flag">{t('flag.raw')}</span>}
        {record.truncated && <span className="log-flag">{t('flag.truncated')}</span>}
        <Highlighted text={record.message} ranges={highlights} />
      </pre>
    </>
  );
  const cls = `log-row level-${record.level}${current ? ' current' : ''}`;
  if (!onOpen) {
    return (
      <div className={cls} data-testid="log-context-row" data-id={record.id}>
        {body}
      </div>
    );
  }
  return (
    <button
      type="button"
      className={cls}
      data-testid="log-row"
      data-id={record.id}
      data-level={record.level}
      onClick={() => onOpen(record.id)}
      title={t('row.open')}
    >
      {body}
    </button>
  );
}
