/**
 * The printable compliance manual (一业一册) of an industry: what a business
 * holding each licence must keep meeting (the catalogue's conditions and legal
 * basis), what inspectors check and what a failure brings (the one checklist,
 * each department's points), and the supervision notes admins write. Chinese
 * first (default), English with `?lang=en`.
 */
import { escapeHtml, printablePage } from './html';
import type { ComplianceManualQuery } from './__generated__/operations';

export type ManualData = NonNullable<ComplianceManualQuery['industry']>;
export type ManualLanguage = 'zh' | 'en';

const LABELS = {
  zh: {
    title: '行业合规手册（一业一册）',
    edition: '目录版本',
    notesRevision: '监管内容版本',
    published: '发布于',
    intro: '本手册汇集本行业各项许可须持续符合的条件、各部门联合检查的检查要点及不合格的后果，供经营者自查、检查人员执法参考。',
    licences: '一、许可及须持续符合的条件',
    department: '审批部门',
    licence: '许可证',
    validity: '有效期',
    years: '年',
    noTerm: '长期',
    legalBasis: '设定依据',
    conditions: '须持续符合的条件',
    checklist: '二、检查要点（一单）',
    point: '编号',
    checked: '检查内容',
    basis: '依据',
    failure: '不合格的后果',
    followUp: '处理',
    correction: (days: number) => `责令限期改正（${days} 日）`,
    enforcement: '依法终止许可证',
    noPoints: '本事项暂无检查要点。',
    notes: '三、行业监管内容',
    noNotes: '管理员尚未发布本行业的监管内容。',
    illustrative: '示例数据（非官方来源）',
    illustrativePoints: '检查要点为示例（非官方清单）。',
  },
  en: {
    title: 'Compliance manual for the industry',
    edition: 'Catalogue edition',
    notesRevision: 'Supervision notes revision',
    published: 'published',
    intro: "This manual gathers what a business must keep meeting under each of the industry's licences, the points the departments check in a joint inspection and what a failure brings, for businesses to check themselves and for inspectors.",
    licences: '1. Licences and the conditions to keep meeting',
    department: 'Deciding department',
    licence: 'Licence',
    validity: 'Validity',
    years: 'years',
    noTerm: 'no fixed term',
    legalBasis: 'Legal basis',
    conditions: 'Conditions to keep meeting',
    checklist: '2. Check points (the one checklist)',
    point: 'Code',
    checked: 'What is checked',
    basis: 'Basis',
    failure: 'Consequence of a failure',
    followUp: 'Follow-up',
    correction: (days: number) => `correction order (${days} days)`,
    enforcement: 'the licence is ended',
    noPoints: 'No check points for this item yet.',
    notes: '3. Supervision notes for the industry',
    noNotes: 'No supervision notes have been published for this industry yet.',
    illustrative: 'Illustrative data (not from an official source)',
    illustrativePoints: 'The check points are illustrative, not an official list.',
  },
};

export function renderManualPage(industry: ManualData, lang: ManualLanguage): string {
  const L = LABELS[lang];
  const zh = lang === 'zh';
  const pick = (textZh: string, textEn: string) => escapeHtml(zh ? textZh : textEn);
  const list = (entries: { zh: string; en: string }[]) => `<ol>${entries.map((e) => `<li>${pick(e.zh, e.en)}</li>`).join('')}</ol>`;
  const licences = industry.items
    .map(({ item }, index) => {
      const points = industry.checklist.filter((p) => p.itemCode === item.code);
      const rows = points
        .map(
          (p) => `<tr><td>${escapeHtml(p.code)}</td><td>${pick(p.textZh, p.textEn)}</td><td>${pick(p.legalBasisZh, p.legalBasisEn)}</td><td>${pick(p.failureZh, p.failureEn)}</td><td${p.onFailure === 'ENFORCEMENT' ? ' class="enforcement"' : ''}>${p.onFailure === 'CORRECTION' ? L.correction(p.correctionDays ?? 0) : L.enforcement}</td></tr>`,
        )
        .join('');
      return `<section class="item">
<h3>${index + 1}. ${pick(item.nameZh, item.nameEn)} <small>${escapeHtml(item.code)}</small></h3>
<table>
<tr><th>${L.department}</th><td>${pick(item.departmentNameZh, item.departmentNameEn)}</td></tr>
<tr><th>${L.licence}</th><td>${pick(item.licenceNameZh, item.licenceNameEn)}</td></tr>
<tr><th>${L.validity}</th><td>${item.validityYears >= 99 ? L.noTerm : `${item.validityYears} ${L.years}`}</td></tr>
<tr><th>${L.legalBasis}</th><td>${list(item.legalBasis)}</td></tr>
<tr><th>${L.conditions}</th><td>${list(item.conditions)}</td></tr>
</table>
<h4>${L.checklist}</h4>
${points.length ? `<table class="points"><tr><th>${L.point}</th><th>${L.checked}</th><th>${L.basis}</th><th>${L.failure}</th><th>${L.followUp}</th></tr>${rows}</table>` : `<p>${L.noPoints}</p>`}
</section>`;
    })
    .join('\n');
  const notes = industry.supervisionNotes;
  const notesHtml = notes
    ? `<p class="note">${L.notesRevision} ${notes.revision} · ${L.published} ${escapeHtml(notes.publishedAt.slice(0, 10))}</p>
${notes.sections.map((s) => `<h3>${pick(s.titleZh, s.titleEn)}</h3>${pick(s.bodyZh, s.bodyEn).split(/\n{2,}/).map((para) => `<p>${para}</p>`).join('')}`).join('\n')}`
    : `<p>${L.noNotes}</p>`;
  const industryName = pick(industry.nameZh, industry.nameEn);
  return printablePage(
    lang,
    `${industryName} — ${L.title}`,
    `<h1>${industryName}<br>${L.title}</h1>
<p>${L.edition}: ${escapeHtml(industry.edition)}</p>
<p>${L.intro}</p>
<h2>${L.licences}</h2>
${licences}
${industry.checklist.some((p) => p.illustrative) ? `<p class="note">${L.illustrativePoints}</p>` : ''}
${industry.illustrative.length ? `<p class="note">${L.illustrative}: ${escapeHtml(industry.illustrative.join(', '))}</p>` : ''}
<h2>${L.notes}</h2>
${notesHtml}`,
  );
}
