/**
 * The dead-man's switch reason in words, in the operator's language and time zone (the UI has the same
 * texts in its i18n files; this one is for the API, the log and the evidence of a stop).
 */
import type { DmsReasonCode, DmsReasonParams } from './deadman.js';

export type Locale = 'ja' | 'en';

function clock(ts: number | null | undefined, tz: string, locale: Locale): string {
  if (ts === null || ts === undefined) return '?';
  return new Date(ts).toLocaleString(locale === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: tz,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatSpan(ms: number | undefined, locale: Locale): string {
  if (ms === undefined) return '?';
  const s = Math.round(ms / 1000);
  if (s < 120) return locale === 'ja' ? `${s} 秒` : `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return locale === 'ja' ? `${m} 分` : `${m} min`;
  const h = Math.round((m / 60) * 10) / 10;
  return locale === 'ja' ? `${h} 時間` : `${h} h`;
}

export function reasonText(code: DmsReasonCode, p: DmsReasonParams, tz: string, locale: Locale): string {
  const t = (ts: number | null | undefined) => clock(ts, tz, locale);
  const span = (ms: number | undefined) => formatSpan(ms, locale);
  const ja = locale === 'ja';
  switch (code) {
    case 'waiting':
      return ja
        ? `最初の実行を待っています（次の予定 ${t(p.next)}）`
        : `Waiting for the first run (next expected ${t(p.next)})`;
    case 'ok':
      return ja
        ? `前回の実行は正常に終了しました（${t(p.finishedAt)}、${span(p.durationMs)}）`
        : `The last run finished normally (${t(p.finishedAt)}, ${span(p.durationMs)})`;
    case 'running':
      return ja
        ? `${t(p.startedAt)} から実行中（${span(p.durationMs)}）`
        : `Running since ${t(p.startedAt)} (${span(p.durationMs)})`;
    case 'no_start':
      return ja
        ? `開始が見えません: ${t(p.slot)} の予定から猶予 ${span(p.limitMs)} を過ぎました`
        : `No start seen: ${span(p.limitMs)} of grace have passed since the ${t(p.slot)} slot`;
    case 'missed':
      return ja
        ? `開始が見えません: ${t(p.since)} 以降 ${p.missed} 回続けて実行されていません`
        : `No start seen: ${p.missed} runs in a row missed since ${t(p.since)}`;
    case 'not_finished':
      return ja
        ? `開始したまま終わりません: ${t(p.startedAt)} に開始して ${span(p.durationMs)}（上限 ${span(p.limitMs)}）`
        : `Started but not finished: running since ${t(p.startedAt)} for ${span(p.durationMs)} (limit ${span(p.limitMs)})`;
    case 'too_fast':
      return ja
        ? `終了が早すぎます: ${t(p.startedAt)} の実行が ${span(p.durationMs)} で終わりました（最低 ${span(p.limitMs)}）`
        : `Finished too fast: the ${t(p.startedAt)} run ended after ${span(p.durationMs)} (at least ${span(p.limitMs)} expected)`;
    case 'failed':
      return ja
        ? `エラーで終了しました（${t(p.finishedAt)}${p.exitCode !== undefined && p.exitCode !== null ? `、終了コード ${p.exitCode}` : ''}）`
        : `Finished with an error (${t(p.finishedAt)}${p.exitCode !== undefined && p.exitCode !== null ? `, exit code ${p.exitCode}` : ''})`;
    case 'too_often':
      return ja
        ? `実行間隔が短すぎます: ${t(p.startedAt)} の開始が前回（${t(p.previousAt)}）から ${span(p.limitMs)} 未満です`
        : `Runs too often: the ${t(p.startedAt)} start came less than ${span(p.limitMs)} after the previous one (${t(p.previousAt)})`;
    case 'double_start':
      return ja
        ? `二重起動: ${t(p.previousAt)} の実行中に ${t(p.startedAt)} にもう一度開始しました`
        : `Started twice: a second start at ${t(p.startedAt)} while the ${t(p.previousAt)} run was still going`;
    case 'failure_rate':
      return ja
        ? `失敗率が高すぎます: 直近 ${p.runs} 回中 ${p.failed} 回失敗（${p.pct}% ≥ ${p.maxPct}%）`
        : `Failure rate too high: ${p.failed} of the last ${p.runs} runs failed (${p.pct}% ≥ ${p.maxPct}%)`;
    case 'last_failed':
      return ja
        ? `前回はエラーでしたが、失敗率は基準内です（直近 ${p.runs} 回中 ${p.failed} 回、${p.pct}% < ${p.maxPct}%）`
        : `The last run failed, but the failure rate is within bounds (${p.failed} of ${p.runs}, ${p.pct}% < ${p.maxPct}%)`;
    case 'disabled':
      return ja ? '死活監視はオフです' : "The dead-man's switch is off";
    case 'emergency_stop':
      return ja ? '緊急停止中のため監視を休止しています' : 'Paused while the emergency stop holds the bots';
  }
}
