import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../../i18n/index.js';
import { useBots, watchOutput } from '../../stores/bots.js';

/** The last lines a supervised bot printed, stderr marked, following each `bots.output` push. */
export function BotOutput({ id }: { id: string }) {
  const { t } = useTranslation('bots');
  useEffect(() => watchOutput(id), [id]);
  const view = useBots((s) => s.outputs[id]);
  const box = useRef<HTMLDivElement>(null);
  // Follow the newest line until the operator scrolls up to read; scrolling back down follows again.
  const follow = useRef(true);
  const lineCount = view?.lines.length ?? 0;
  const lastTs = view?.lines.at(-1)?.ts;

  useEffect(() => {
    const el = box.current;
    if (!el || !follow.current || lineCount === 0 || lastTs === undefined) return;
    el.scrollTop = el.scrollHeight;
  }, [lineCount, lastTs]);

  if (!view) return <p className="muted small">{t('loading')}</p>;
  return (
    <div className="bot-output-wrap">
      {view.error && <p className="form-error">{t('output.error', { message: view.error })}</p>}
      {view.lines.length === 0 && !view.error && <p className="muted small">{t('output.empty')}</p>}
      {view.lines.length > 0 && (
        <div
          className="bot-output"
          ref={box}
          data-testid="bot-output"
          onScroll={(e) => {
            const el = e.currentTarget;
            follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          {view.lines.map((l, i) => (
            <div
              // Lines have no id; their position in this tail is stable until the next fetch replaces it.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              key={`${l.ts}-${i}`}
              className={l.stream === 'e' ? 'line stderr' : 'line'}
              title={l.stream === 'e' ? t('output.stderr') : undefined}
            >
              <time dateTime={new Date(l.ts).toISOString()}>{formatTime(l.ts)}</time>
              <span>{l.text}</span>
            </div>
          ))}
        </div>
      )}
      {view.file && <p className="muted small bot-output-file">{t('output.file', { file: view.file })}</p>}
    </div>
  );
}
