/**
 * The weekly report (TASK-003 週次レポート `0 9 * * 1`; Phase 6 "ログ分析・傾向レポート: 週次パフォーマンス
 * レポート"): one self-contained HTML file per week in the reports folder, with inline SVG charts (no
 * script, no external resource) of monitoring and bot uptime, alerts and their time to acknowledge,
 * emergency stops, maintenance job results, resource trends and the disk-full forecast. Everything is
 * read from the database the app already keeps; times are the operator's local time.
 */
import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { ReportView } from '../../../shared/api/maintenance.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface ReportData {
  from: number;
  to: number;
  locale: 'ja' | 'en';
  days: number[];
  monitorCoverage: number[];
  botUptime: (number | null)[];
  alerts: { severity: string; count: number; ackMedianMin: number | null; unacked: number }[];
  alertsPerDay: Record<string, number[]>;
  topRules: { rule: string; count: number }[];
  stops: { at: number; source: string; reason: string; status: string; durationMs: number | null }[];
  jobs: { job: string; ok: number; failed: number; other: number; lastStatus: string }[];
  cpu: { avg: number[]; max: number[] };
  mem: number[];
  disks: { mount: string; freePct: number[]; freeBytesNow: number | null; daysToFull: number | null }[];
}

function hourlyByDay(
  db: BetterSqlite3.Database,
  key: string,
  from: number,
  days: number,
): { avg: (number | null)[]; max: (number | null)[]; hours: number[] } {
  const rows = db
    .prepare<
      [{ key: string; from: number; to: number }],
      { d: number; avg: number; max: number; hours: number }
    >(
      `SELECT CAST((s.ts - @from) / ${DAY} AS INTEGER) AS d, AVG(s.value) AS avg, MAX(s.value) AS max,
         COUNT(DISTINCT s.ts / ${HOUR}) AS hours
       FROM samples s JOIN series r ON r.id = s.series_id
       WHERE r.key = @key AND s.ts >= @from AND s.ts < @to GROUP BY d`,
    )
    .all({ key, from, to: from + days * DAY });
  const avg: (number | null)[] = Array(days).fill(null);
  const max: (number | null)[] = Array(days).fill(null);
  const hours: number[] = Array(days).fill(0);
  for (const r of rows) {
    if (r.d < 0 || r.d >= days) continue;
    avg[r.d] = r.avg;
    max[r.d] = r.max;
    hours[r.d] = r.hours;
  }
  return { avg, max, hours };
}

/** Least-squares line through (ts, value); days until it reaches zero, or null when not falling. */
export function daysToZero(points: readonly { ts: number; value: number }[], now: number): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.ts, 0) / n;
  const my = points.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.ts - mx) * (p.value - my);
    den += (p.ts - mx) ** 2;
  }
  if (den === 0) return null;
  const slope = num / den;
  if (slope >= 0) return null;
  const valueNow = my + slope * (now - mx);
  return Math.max(0, -valueNow / slope / DAY);
}

export function gatherReport(db: BetterSqlite3.Database, to: number, locale: 'ja' | 'en'): ReportData {
  const days = 7;
  const from = to - days * DAY;
  const tableExists = (t: string) =>
    db
      .prepare<[string], { n: number }>(
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
      )
      .get(t)?.n === 1;
  const dayStarts = Array.from({ length: days }, (_, i) => from + i * DAY);

  const cpu = hourlyByDay(db, 'cpu.total', from, days);
  const mem = hourlyByDay(db, 'mem.used_pct', from, days);
  const bot = hourlyByDay(db, 'proc.count{family=bot-runner}', from, days);
  const botUp = db
    .prepare<[{ from: number; to: number }], { d: number; up: number; total: number }>(
      `SELECT CAST((s.ts - @from) / ${DAY} AS INTEGER) AS d, SUM(s.value > 0) AS up, COUNT(*) AS total
       FROM samples s JOIN series r ON r.id = s.series_id
       WHERE r.key = 'proc.count{family=bot-runner}' AND s.ts >= @from AND s.ts < @to GROUP BY d`,
    )
    .all({ from, to });
  const botUptime: (number | null)[] = Array(days).fill(null);
  for (const r of botUp) if (r.d >= 0 && r.d < days && r.total > 0) botUptime[r.d] = (100 * r.up) / r.total;

  const alerts: ReportData['alerts'] = [];
  const alertsPerDay: Record<string, number[]> = {
    critical: Array(days).fill(0),
    warning: Array(days).fill(0),
    info: Array(days).fill(0),
  };
  let topRules: ReportData['topRules'] = [];
  if (tableExists('alerts')) {
    const rows = db
      .prepare<
        [number, number],
        { severity: string; fired_at: number; acked_at: number | null; rule_name: string }
      >(
        'SELECT severity, fired_at, acked_at, rule_name FROM alerts WHERE fired_at IS NOT NULL AND fired_at >= ? AND fired_at < ?',
      )
      .all(from, to);
    for (const sev of ['critical', 'warning', 'info']) {
      const of = rows.filter((r) => r.severity === sev);
      const acks = of
        .filter((r) => r.acked_at !== null)
        .map((r) => ((r.acked_at as number) - r.fired_at) / 60_000)
        .sort((a, b) => a - b);
      alerts.push({
        severity: sev,
        count: of.length,
        ackMedianMin: acks.length ? (acks[Math.floor(acks.length / 2)] as number) : null,
        unacked: of.length - acks.length,
      });
      for (const r of of) {
        const d = Math.floor((r.fired_at - from) / DAY);
        const list = alertsPerDay[sev];
        if (list && d >= 0 && d < days) list[d] = (list[d] ?? 0) + 1;
      }
    }
    const byRule = new Map<string, number>();
    for (const r of rows) byRule.set(r.rule_name, (byRule.get(r.rule_name) ?? 0) + 1);
    topRules = [...byRule]
      .map(([rule, count]) => ({ rule, count }))
      .sort((a, b) => b.count - a.count)
      .slice(0, 5);
  }

  const stops = tableExists('stop_runs')
    ? db
        .prepare<
          [number, number],
          { requested_at: number; source: string; reason: string; status: string; duration_ms: number | null }
        >(
          'SELECT requested_at, source, reason, status, duration_ms FROM stop_runs WHERE requested_at >= ? AND requested_at < ? ORDER BY requested_at',
        )
        .all(from, to)
        .map((r) => ({
          at: r.requested_at,
          source: r.source,
          reason: r.reason,
          status: r.status,
          durationMs: r.duration_ms,
        }))
    : [];

  const jobRows = db
    .prepare<[number, number], { job_id: string; status: string; n: number }>(
      `SELECT job_id, status, COUNT(*) AS n FROM maintenance_runs WHERE started_at >= ? AND started_at < ?
       GROUP BY job_id, status`,
    )
    .all(from, to);
  const jobMap = new Map<
    string,
    { job: string; ok: number; failed: number; other: number; lastStatus: string }
  >();
  for (const r of jobRows) {
    const j = jobMap.get(r.job_id) ?? { job: r.job_id, ok: 0, failed: 0, other: 0, lastStatus: '' };
    if (r.status === 'ok') j.ok += r.n;
    else if (r.status === 'failed' || r.status === 'timed-out') j.failed += r.n;
    else j.other += r.n;
    jobMap.set(r.job_id, j);
  }
  for (const j of jobMap.values()) {
    j.lastStatus =
      db
        .prepare<[string], { status: string }>(
          "SELECT status FROM maintenance_runs WHERE job_id = ? AND status NOT IN ('running', 'missed') ORDER BY started_at DESC LIMIT 1",
        )
        .get(j.job)?.status ?? '';
  }

  const mounts = db
    .prepare<[], { key: string; labels: string }>(
      "SELECT key, labels FROM series WHERE name = 'disk.free_pct' ORDER BY key",
    )
    .all();
  const disks = mounts.map((m) => {
    const mount = (JSON.parse(m.labels) as { mount?: string }).mount ?? '?';
    const pct = hourlyByDay(db, m.key, from, days);
    const bytesKey = `disk.free_bytes{mount=${mount}}`;
    const points = db
      .prepare<[string, number, number], { ts: number; value: number }>(
        `SELECT s.ts AS ts, s.value AS value FROM samples s JOIN series r ON r.id = s.series_id
         WHERE r.key = ? AND s.ts >= ? AND s.ts < ? ORDER BY s.ts`,
      )
      .all(bytesKey, from, to);
    return {
      mount,
      freePct: pct.avg.map((v) => v ?? Number.NaN),
      freeBytesNow: points.length ? (points[points.length - 1] as { value: number }).value : null,
      daysToFull: daysToZero(points, to),
    };
  });

  return {
    from,
    to,
    locale,
    days: dayStarts,
    monitorCoverage: cpu.hours.map((h) => Math.min(100, (100 * h) / 24)),
    botUptime: bot.hours.some((h) => h > 0) ? botUptime : Array(days).fill(null),
    alerts,
    alertsPerDay,
    topRules,
    stops,
    jobs: [...jobMap.values()].sort((a, b) => a.job.localeCompare(b.job)),
    cpu: { avg: cpu.avg.map((v) => v ?? Number.NaN), max: cpu.max.map((v) => v ?? Number.NaN) },
    mem: mem.avg.map((v) => v ?? Number.NaN),
    disks,
  };
}

// ---- rendering ----

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a', '#c62828', '#00838f'];
const SEVERITY_COLOR: Record<string, string> = { critical: '#c62828', warning: '#ef6c00', info: '#1565c0' };

function dayLabel(ts: number, locale: 'ja' | 'en'): string {
  return new Date(ts).toLocaleDateString(locale === 'ja' ? 'ja-JP' : 'en-GB', {
    month: 'numeric',
    day: 'numeric',
    weekday: 'short',
  });
}

/** A line chart of per-day values (NaN/null = gap), y from 0 to yMax. */
export function lineChart(
  labels: readonly string[],
  series: readonly { name: string; values: readonly (number | null)[]; color?: string }[],
  opts: { yMax?: number; unit?: string } = {},
): string {
  const w = 640;
  const h = 180;
  const pad = { l: 44, r: 36, t: 12, b: 28 };
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const yMax = opts.yMax ?? Math.max(1, ...all) * 1.1;
  const x = (i: number) => pad.l + ((w - pad.l - pad.r) * i) / Math.max(1, labels.length - 1);
  const y = (v: number) => h - pad.b - ((h - pad.t - pad.b) * Math.min(v, yMax)) / yMax;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">`,
  ];
  for (let g = 0; g <= 4; g++) {
    const v = (yMax * g) / 4;
    parts.push(
      `<line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/>`,
      `<text x="${pad.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end" fill="#666">${fmt(v)}${opts.unit ?? ''}</text>`,
    );
  }
  labels.forEach((l, i) => {
    parts.push(
      `<text x="${x(i)}" y="${h - 8}" font-size="10" text-anchor="middle" fill="#666">${esc(l)}</text>`,
    );
  });
  series.forEach((s, si) => {
    const color = s.color ?? COLORS[si % COLORS.length];
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      d += `${d === '' || !Number.isFinite(s.values[i - 1] ?? Number.NaN) ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${color}"/>`);
    });
    if (d) parts.push(`<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<text x="${pad.l + 8 + si * 150}" y="${pad.t + 10}" font-size="11" fill="${color}">■ ${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Stacked bars per day. */
export function barChart(
  labels: readonly string[],
  stacks: readonly { name: string; values: readonly number[]; color: string }[],
): string {
  const w = 640;
  const h = 160;
  const pad = { l: 36, r: 12, t: 18, b: 28 };
  const totals = labels.map((_, i) => stacks.reduce((s, st) => s + (st.values[i] ?? 0), 0));
  const yMax = Math.max(1, ...totals);
  const bw = ((w - pad.l - pad.r) / labels.length) * 0.6;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">`,
  ];
  labels.forEach((l, i) => {
    const cx = pad.l + ((w - pad.l - pad.r) * (i + 0.5)) / labels.length;
    let base = h - pad.b;
    for (const st of stacks) {
      const v = st.values[i] ?? 0;
      if (v <= 0) continue;
      const bh = ((h - pad.t - pad.b) * v) / yMax;
      base -= bh;
      parts.push(
        `<rect x="${(cx - bw / 2).toFixed(1)}" y="${base.toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" fill="${st.color}"><title>${esc(st.name)}: ${v}</title></rect>`,
      );
    }
    if (totals[i])
      parts.push(
        `<text x="${cx}" y="${base - 3}" font-size="10" text-anchor="middle" fill="#333">${totals[i]}</text>`,
      );
    parts.push(
      `<text x="${cx}" y="${h - 8}" font-size="10" text-anchor="middle" fill="#666">${esc(l)}</text>`,
    );
  });
  stacks.forEach((st, si) => {
    parts.push(
      `<text x="${pad.l + si * 120}" y="12" font-size="11" fill="${st.color}">■ ${esc(st.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function fmt(v: number): string {
  return Math.abs(v) >= 100
    ? v.toFixed(0)
    : Math.abs(v) >= 10
      ? v.toFixed(1)
      : v.toFixed(2).replace(/\.?0+$/, '');
}

const TEXT = {
  ja: {
    title: 'Nexus Ops 週次運用レポート',
    severities: { critical: '重大', warning: '警告', info: '情報' },
    period: '対象期間',
    uptime: '稼働状況 (1日あたり)',
    monitor: '監視の稼働率 %',
    bot: 'ボット実行プロセスの稼働率 %',
    alerts: 'アラート',
    severity: '重要度',
    count: '件数',
    ack: '確認までの時間 (中央値)',
    unacked: '未確認',
    topRules: '多いルール',
    stops: '緊急停止',
    none: 'なし',
    jobs: '保守ジョブの結果',
    job: 'ジョブ',
    ok: '成功',
    failed: '失敗・タイムアウト',
    other: 'スキップ等',
    last: '直近',
    resources: 'リソースの傾向 (1日平均)',
    cpuAvg: 'CPU 平均 %',
    cpuMax: 'CPU 最大 %',
    mem: 'メモリ %',
    disk: 'ディスク空き容量 (%)',
    forecast: 'ディスク満杯の予測',
    mount: 'ドライブ',
    freeNow: '現在の空き',
    full: '満杯まで',
    notFalling: '減少傾向なし',
    days: '日',
    min: '分',
    generated: '作成',
  },
  en: {
    title: 'Nexus Ops weekly operations report',
    severities: { critical: 'critical', warning: 'warning', info: 'info' },
    period: 'Period',
    uptime: 'Uptime (per day)',
    monitor: 'Monitoring uptime %',
    bot: 'Bot runner uptime %',
    alerts: 'Alerts',
    severity: 'Severity',
    count: 'Count',
    ack: 'Time to acknowledge (median)',
    unacked: 'Not acknowledged',
    topRules: 'Most frequent rules',
    stops: 'Emergency stops',
    none: 'None',
    jobs: 'Maintenance job results',
    job: 'Job',
    ok: 'OK',
    failed: 'Failed / timed out',
    other: 'Skipped etc.',
    last: 'Last',
    resources: 'Resource trends (daily average)',
    cpuAvg: 'CPU average %',
    cpuMax: 'CPU max %',
    mem: 'Memory %',
    disk: 'Disk free (%)',
    forecast: 'Disk-full forecast',
    mount: 'Mount',
    freeNow: 'Free now',
    full: 'Full in',
    notFalling: 'not falling',
    days: 'days',
    min: 'min',
    generated: 'Generated',
  },
} as const;

export function renderReport(d: ReportData, generatedAt: number): string {
  const t = TEXT[d.locale];
  const lang = d.locale === 'ja' ? 'ja-JP' : 'en-GB';
  const labels = d.days.map((ts) => dayLabel(ts, d.locale));
  const date = (ts: number) => new Date(ts).toLocaleString(lang);
  const gib = (b: number | null) => (b === null ? '—' : `${(b / 2 ** 30).toFixed(1)} GiB`);
  const table = (head: string[], rows: string[][]) =>
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  const sections = [
    `<h2>${t.uptime}</h2>`,
    lineChart(
      labels,
      [
        { name: t.monitor, values: d.monitorCoverage },
        { name: t.bot, values: d.botUptime },
      ],
      { yMax: 100 },
    ),
    `<h2>${t.alerts}</h2>`,
    barChart(
      labels,
      ['critical', 'warning', 'info'].map((s) => ({
        name: s,
        values: d.alertsPerDay[s] ?? [],
        color: SEVERITY_COLOR[s] as string,
      })),
    ),
    table(
      [t.severity, t.count, t.ack, t.unacked],
      d.alerts.map((a) => [
        a.severity,
        String(a.count),
        a.ackMedianMin === null ? '—' : `${a.ackMedianMin.toFixed(1)} ${t.min}`,
        String(a.unacked),
      ]),
    ),
    d.topRules.length
      ? `<h3>${t.topRules}</h3>${table(
          [t.topRules, t.count],
          d.topRules.map((r) => [r.rule, String(r.count)]),
        )}`
      : '',
    `<h2>${t.stops}</h2>`,
    d.stops.length
      ? table(
          ['', 'source', 'status', 'ms', ''],
          d.stops.map((s) => [date(s.at), s.source, s.status, String(s.durationMs ?? ''), s.reason]),
        )
      : `<p>${t.none}</p>`,
    `<h2>${t.jobs}</h2>`,
    barChart(
      d.jobs.map((j) => j.job),
      [
        { name: t.ok, values: d.jobs.map((j) => j.ok), color: '#2e7d32' },
        { name: t.failed, values: d.jobs.map((j) => j.failed), color: '#c62828' },
        { name: t.other, values: d.jobs.map((j) => j.other), color: '#9e9e9e' },
      ],
    ),
    table(
      [t.job, t.ok, t.failed, t.other, t.last],
      d.jobs.map((j) => [j.job, String(j.ok), String(j.failed), String(j.other), j.lastStatus]),
    ),
    `<h2>${t.resources}</h2>`,
    lineChart(
      labels,
      [
        { name: t.cpuAvg, values: d.cpu.avg },
        { name: t.cpuMax, values: d.cpu.max },
        { name: t.mem, values: d.mem },
      ],
      { yMax: 100 },
    ),
    `<h2>${t.disk}</h2>`,
    lineChart(
      labels,
      d.disks.map((disk) => ({ name: disk.mount, values: disk.freePct })),
      { yMax: 100 },
    ),
    `<h2>${t.forecast}</h2>`,
    d.disks.length
      ? table(
          [t.mount, t.freeNow, t.full],
          d.disks.map((disk) => [
            disk.mount,
            gib(disk.freeBytesNow),
            disk.daysToFull === null ? t.notFalling : `${disk.daysToFull.toFixed(1)} ${t.days}`,
          ]),
        )
      : `<p>${t.none}</p>`,
  ];
  return `<!doctype html>
<html lang="${d.locale}"><head><meta charset="utf-8"><title>${t.title}</title>
<style>body{font-family:system-ui,"Yu Gothic UI","Meiryo",sans-serif;margin:24px;color:#222;max-width:720px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:14px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;font-size:12px;text-align:left}
th{background:#f5f5f5}.muted{color:#777;font-size:12px}</style></head>
<body><h1>${t.title}</h1>
<p>${t.period}: ${esc(date(d.from))} – ${esc(date(d.to))}</p>
${sections.join('\n')}
<p class="muted">${t.generated}: ${esc(date(generatedAt))}</p>
</body></html>
`;
}

// ---- files ----

export function reportId(to: number): string {
  const d = new Date(to);
  const p = (n: number) => String(n).padStart(2, '0');
  return `weekly-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
}

export async function writeReport(dir: string, id: string, html: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${id}.html`);
  await writeFile(file, html);
  return file;
}

export async function listReports(dir: string): Promise<ReportView[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: ReportView[] = [];
  for (const name of names) {
    const m = /^(weekly-(\d{4})(\d{2})(\d{2})(?:-\d+)?)\.html$/.exec(name);
    if (!m?.[1]) continue;
    const s = await stat(join(dir, name));
    const to = new Date(Number(m[2]), Number(m[3]) - 1, Number(m[4])).getTime();
    out.push({ id: m[1], createdAt: Math.floor(s.mtimeMs), from: to - 7 * DAY, to, sizeBytes: s.size });
  }
  return out.sort((a, b) => b.to - a.to);
}

export async function readReport(dir: string, id: string): Promise<string | null> {
  try {
    return await readFile(join(dir, `${id}.html`), 'utf8');
  } catch {
    return null;
  }
}

export async function pruneReports(dir: string, keepWeeks: number): Promise<number> {
  const all = await listReports(dir);
  let removed = 0;
  for (const r of all.slice(keepWeeks)) {
    await unlink(join(dir, `${r.id}.html`)).catch(() => {});
    removed++;
  }
  return removed;
}
