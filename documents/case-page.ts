/**
 * A case (落地案例) for an industry, as the plan asks the bureau to publish:
 * the before and after of one business opening in it, from the catalogue
 * (fields, materials, time limits, windows), and what processing really took
 * (decided items, median and 90th-percentile working days). A printable page,
 * and the same rows as CSV (`?format=csv`) for a spreadsheet.
 */
import { beijingToday } from '../shared/beijing-calendar';
import { escapeHtml, printablePage } from './html';
import type { IndustryCaseQuery } from './__generated__/operations';

export interface CaseRow {
  key: string;
  measureZh: string;
  measureEn: string;
  before: string;
  after: string;
  change: string;
}

const pct = (x: number) => `-${(x * 100).toFixed(1)}%`;

/** The case's rows; null when the industry is unknown or not in the figures. */
export function caseRows(answer: IndustryCaseQuery): { industry: NonNullable<IndustryCaseQuery['industry']>; rows: CaseRow[]; illustrative: boolean } | null {
  const industry = answer.industry;
  const figures = answer.reformFigures.find((f) => f.industryCode === industry?.code);
  if (!industry || !figures) return null;
  const processing = answer.processingStatistics.byIndustry.find((g) => g.key === industry.code);
  const departments = new Set(industry.items.map((i) => i.item.departmentNameZh)).size;
  const rows: CaseRow[] = [
    { key: 'items', measureZh: '审批事项', measureEn: 'Approval items', before: String(figures.itemCount), after: String(figures.itemCount), change: '各部门仍各自审批 / each still decided by its department' },
    { key: 'windows', measureZh: '办事窗口（部门）', measureEn: 'Windows (departments) visited', before: String(departments), after: '1', change: `-${departments - 1}` },
    { key: 'fields', measureZh: '申请表字段', measureEn: 'Form fields', before: String(figures.formFieldsSeparate), after: String(figures.formFieldsMerged), change: pct(figures.formFieldReduction) },
    { key: 'materials', measureZh: '申请材料', measureEn: 'Materials', before: String(figures.materialsSeparate), after: String(figures.materialsMerged), change: pct(figures.materialReduction) },
    { key: 'days', measureZh: '办理时限（工作日）', measureEn: 'Time limit, working days', before: `${figures.statutoryDaysSequential}（法定，依次）`, after: `${figures.committedDaysUnified}（承诺，并联）`, change: pct(figures.timeReduction) },
    { key: 'licences', measureZh: '领取证件', measureEn: 'Documents to hold', before: String(figures.itemCount), after: '1 张综合许可凭证 + 电子证照', change: '一证准营' },
    { key: 'decided', measureZh: '已办结事项（实际数据）', measureEn: 'Items decided (real data)', before: '—', after: String(processing?.decided ?? 0), change: '' },
    {
      key: 'median',
      measureZh: '实际办理用时中位数 / P90（工作日）',
      measureEn: 'Working days taken, median / P90 (real data)',
      before: '—',
      after: processing?.medianWorkingDays === null || processing?.medianWorkingDays === undefined ? '—' : `${processing.medianWorkingDays} / ${processing.p90WorkingDays}`,
      change: '',
    },
  ];
  const illustrative = industry.illustrative.length > 0 || industry.items.some((i) => i.item.illustrative.length > 0);
  return { industry, rows, illustrative };
}

export function renderCasePage(data: NonNullable<ReturnType<typeof caseRows>>): string {
  const { industry, rows, illustrative } = data;
  const body = rows.map((r) => `<tr data-row="${r.key}"><th>${escapeHtml(r.measureZh)}<br><span class="note">${escapeHtml(r.measureEn)}</span></th><td>${escapeHtml(r.before)}</td><td>${escapeHtml(r.after)}</td><td>${escapeHtml(r.change)}</td></tr>`).join('\n');
  const items = industry.items.map((i) => `<li>${escapeHtml(i.item.nameZh)}（${escapeHtml(i.item.departmentNameZh)}，法定 ${i.item.statutoryDays} / 承诺 ${i.item.committedDays} 个工作日）</li>`).join('');
  return printablePage(
    'zh',
    `落地案例：${escapeHtml(industry.nameZh)}`,
    `<h1>“一业一证”落地案例：${escapeHtml(industry.nameZh)}</h1>
<p class="note">${escapeHtml(industry.nameEn)} · 目录 ${escapeHtml(industry.edition)} · 生成于 ${beijingToday()}</p>
<h2>改革前后对比 Before and after</h2>
<table class="points" id="case"><tr><th>指标</th><th>改革前</th><th>改革后</th><th>变化</th></tr>
${body}
</table>
<h2>涉及事项 Items</h2><ol>${items}</ol>
<p class="note">改革前按各事项分别申请、依次办理计；改革后为一表申请、一窗受理、并联审批。实际数据为本平台已办结事项，自受理至决定，不含补正暂停。${illustrative ? '<strong id="illustrative">本案例部分数据为示例（非官方），发布前须核对。</strong>' : ''}</p>`,
  );
}

/** The rows as CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheet programs read the Chinese). */
export function caseCsv(data: NonNullable<ReturnType<typeof caseRows>>): string {
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [['industry', 'key', 'measure_zh', 'measure_en', 'before', 'after', 'change'], ...data.rows.map((r) => [data.industry.code, r.key, r.measureZh, r.measureEn, r.before, r.after, r.change])];
  return `\ufeff${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`;
}
