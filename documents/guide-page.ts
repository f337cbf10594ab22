/**
 * The printable one-time guide (一次告知) for the window and for download:
 * the `guide` query rendered as an A4-friendly HTML page, in Chinese (default)
 * or English (`?lang=en`).
 */
import { escapeHtml, printablePage } from './html';
import type { PrintableGuideQuery } from './__generated__/operations';

/** The `guide` answer as asked in documents/queries.ts, typed by `npm run generate`. */
export type GuideData = PrintableGuideQuery['guide'];

/** A text in both languages, as the catalogue gives conditions, legal bases and steps. */
type Bilingual = { zh: string; en: string };

const LABELS = {
  zh: {
    title: '行业综合办事指南（一次告知）',
    edition: '目录版本',
    scenario: '适用情形',
    allCases: '全部情形（未按情形筛选）',
    singleItem: '按所选情形只涉及一项审批事项，不属于“一业一证”多项集成办理的情形：可直接申办该事项，无需综合许可凭证。',
    summary: '办理概要',
    items: '涉及审批事项',
    committed: '统一承诺办结时限',
    statutory: '各事项法定时限合计',
    fee: '收费合计',
    days: '个工作日',
    yuan: '元',
    materials: '申请材料（合并去重）',
    department: '审批部门',
    licence: '发放证件',
    legalBasis: '设定依据',
    conditions: '受理条件',
    process: '办理流程',
    itemMaterials: '本事项材料',
    limits: '时限',
    statutoryShort: '法定',
    committedShort: '承诺',
    commitment: '可适用告知承诺',
    mayOmit: '告知承诺时可免交',
    held: (source: string) => `无需提交（政府部门已有：${source}）`,
    after: '办理顺序',
    afterText: (items: string) => `须在${items}准予许可后分送办理（其余事项并联办理）`,
    sharedDocument: '共用文件，提交一份',
    marks: '标注',
    heldNotConnected: (source: string) => `政府部门已有（${source}），本区尚未接入，仍须提交`,
    remedy: '救济途径',
    reconsideration: '行政复议',
    court: '行政诉讼',
    illustrative: '示例数据（非官方来源）',
    usedBy: '用于',
    yes: '是',
    no: '否',
  },
  en: {
    title: 'One-time guide for the industry',
    edition: 'Catalogue edition',
    scenario: 'Case',
    allCases: 'Every case (not filtered by answers)',
    singleItem: 'These answers select one approval item only, not a one-industry-one-permit case (which bundles several): apply for that item directly; no comprehensive permit is needed.',
    summary: 'Summary',
    items: 'Approval items',
    committed: 'Unified committed time limit',
    statutory: 'Statutory limits, summed',
    fee: 'Total fees',
    days: 'working days',
    yuan: 'yuan',
    materials: 'Materials (merged)',
    department: 'Deciding department',
    licence: 'Licence issued',
    legalBasis: 'Legal basis',
    conditions: 'Conditions',
    process: 'Process',
    itemMaterials: 'Materials for this item',
    limits: 'Time limits',
    statutoryShort: 'statutory',
    committedShort: 'committed',
    commitment: 'Notification-commitment allowed',
    mayOmit: 'may be omitted under commitment',
    held: (source: string) => `nothing to hand in: held by ${source}`,
    after: 'Order',
    afterText: (items: string) => `dispatched once ${items} is approved (the other items in parallel)`,
    sharedDocument: 'a shared document, handed in once',
    marks: 'marked',
    heldNotConnected: (source: string) => `held by ${source}, not yet connected here: hand it in`,
    remedy: 'Remedy',
    reconsideration: 'Administrative reconsideration',
    court: 'Administrative litigation',
    illustrative: 'Illustrative data (not from an official source)',
    usedBy: 'for',
    yes: 'yes',
    no: 'no',
  },
};

export type GuideLanguage = keyof typeof LABELS;

export function renderGuidePage(guide: GuideData, lang: GuideLanguage): string {
  const L = LABELS[lang];
  const t = (b: Bilingual) => escapeHtml(lang === 'zh' ? b.zh : b.en);
  const name = (o: { nameZh: string; nameEn: string }) => escapeHtml(lang === 'zh' ? o.nameZh : o.nameEn);
  // 办理顺序: an item waiting for others says for which (only those this guide lists).
  const order = (item: { decidedAfter: string[] }) => {
    const first = guide.items.filter((other) => item.decidedAfter.includes(other.code));
    return first.length ? `<tr><th>${L.after}</th><td>${L.afterText(first.map((o) => `「${name(o)}」`).join(''))}</td></tr>` : '';
  };
  // 一件事实一份材料: a shared document in the merged list, handed in once, with what each item needs marked on it.
  const annotationList = (m: { annotations?: { itemCode: string; zh: string; en: string }[] | null }) =>
    m.annotations?.length
      ? ` <em>${L.sharedDocument}</em><ul class="marks">${m.annotations.map((a) => `<li>${escapeHtml(a.itemCode)}: ${L.marks} ${escapeHtml(lang === 'zh' ? a.zh : a.en)}</li>`).join('')}</ul>`
      : '';
  // 政府部门已有: nothing to hand in where this district fetches it, said plainly where it does not yet.
  const heldNote = (m: { heldBy?: { nameZh: string; nameEn: string; connected: boolean } | null }) =>
    m.heldBy ? ` <strong class="held">${(m.heldBy.connected ? L.held : L.heldNotConnected)(name(m.heldBy))}</strong>` : '';
  const industry = guide.industry;
  const answers = guide.answers
    ? Object.entries(guide.answers)
        .map(([key, value]) => {
          const q = industry.questions.find((x) => x.key === key);
          const answer = value === true ? L.yes : value === false ? L.no : String(value);
          return `<li>${escapeHtml(q ? (lang === 'zh' ? q.textZh : q.textEn) : key)} — <strong>${escapeHtml(answer)}</strong></li>`;
        })
        .join('')
    : `<li>${L.allCases}</li>`;
  const list = (entries: Bilingual[]) => `<ol>${entries.map((e) => `<li>${t(e)}</li>`).join('')}</ol>`;
  const items = guide.items
    .map(
      (item, index) => `<section class="item">
<h3>${index + 1}. ${name(item)} <small>${escapeHtml(item.code)}</small></h3>
<table>
<tr><th>${L.department}</th><td>${escapeHtml(lang === 'zh' ? item.departmentNameZh : item.departmentNameEn)}</td></tr>
${order(item)}
<tr><th>${L.licence}</th><td>${escapeHtml(lang === 'zh' ? item.licenceNameZh : item.licenceNameEn)}</td></tr>
<tr><th>${L.limits}</th><td>${L.statutoryShort} ${item.statutoryDays} ${L.days} · ${L.committedShort} ${item.committedDays} ${L.days}</td></tr>
<tr><th>${L.fee}</th><td>${item.feeYuan} ${L.yuan}</td></tr>
<tr><th>${L.commitment}</th><td>${item.commitmentAllowed ? L.yes : L.no}</td></tr>
<tr><th>${L.legalBasis}</th><td>${list(item.legalBasis)}</td></tr>
<tr><th>${L.conditions}</th><td>${list(item.conditions)}</td></tr>
<tr><th>${L.process}</th><td>${list(item.processSteps)}</td></tr>
<tr><th>${L.itemMaterials}</th><td><ol>${item.materials
        .map((m) => `<li>${name(m)}${heldNote(m)}${m.commitmentMayOmit && item.commitmentAllowed ? ` <em>(${L.mayOmit})</em>` : ''}</li>`)
        .join('')}</ol></td></tr>
<tr><th>${L.remedy}</th><td>${L.reconsideration}: ${escapeHtml(lang === 'zh' ? item.remedy.reconsiderationZh : item.remedy.reconsiderationEn)}<br>${L.court}: ${escapeHtml(lang === 'zh' ? item.remedy.courtZh : item.remedy.courtEn)}${lang === 'zh' && item.remedy.deadlineNoteZh ? `<br><small>${escapeHtml(item.remedy.deadlineNoteZh)}</small>` : ''}</td></tr>
</table>
${item.illustrative.length ? `<p class="note">${L.illustrative}: ${escapeHtml(item.illustrative.join(', '))}</p>` : ''}
</section>`,
    )
    .join('\n');
  const materials = guide.materials
    .map((m) => `<li>${name(m)}${heldNote(m)} <small>(${L.usedBy} ${escapeHtml((m.itemCodes ?? []).join(', '))})</small>${annotationList(m)}</li>`)
    .join('');
  return printablePage(lang, `${name(industry)} — ${L.title}`, `<h1>${name(industry)}<br>${L.title}</h1>
<p>${L.edition}: ${escapeHtml(guide.edition)}</p>
<h2>${L.scenario}</h2><ul>${answers}</ul>
${guide.bundle ? '' : `<p class="notice single-item">${L.singleItem}</p>`}
<h2>${L.summary}</h2>
<table class="summary">
<tr><th>${L.items}</th><td>${guide.items.length}</td></tr>
<tr><th>${L.committed}</th><td>${guide.committedDays} ${L.days}</td></tr>
<tr><th>${L.statutory}</th><td>${guide.sumOfStatutoryDays} ${L.days}</td></tr>
<tr><th>${L.fee}</th><td>${guide.feeYuan} ${L.yuan}</td></tr>
</table>
<h2>${L.materials}</h2><ol>${materials}</ol>
<h2>${L.items}</h2>
${items}`);
}
