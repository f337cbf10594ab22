/**
 * The work team's roster as a printable page, laid out like attachment 1 of
 * the plan (工作专班名单): the convenors and the office director, then each
 * member department with its official in charge and its liaison's office
 * phone. Staff only: the documents service passes the caller's token on.
 */
import { beijingDate } from '../shared/beijing-calendar';
import { escapeHtml, printablePage } from './html';
import type { WorkTeamPageQuery } from './__generated__/operations';

export type WorkTeamData = NonNullable<WorkTeamPageQuery['workTeam']>;

export function renderWorkTeamPage(team: WorkTeamData): string {
  const lead = (role: string, p: { name: string; title: string }) => `<tr><th>${role}</th><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.title)}</td></tr>`;
  const members = team.members
    .map(
      (m, i) => `<tr><td>${i + 1}</td><td>${escapeHtml(m.departmentNameZh)}</td><td>${escapeHtml(m.member.name)}<br><span class="note">${escapeHtml(m.member.title)}</span></td><td>${escapeHtml(m.liaison.name)}<br><span class="note">${escapeHtml(m.liaison.title)}</span></td><td>${escapeHtml(m.liaison.phone)}</td></tr>`,
    )
    .join('\n');
  return printablePage(
    'zh',
    '顺义区“一业一证”改革工作专班名单',
    `<p class="note">附件1</p>
<h1>顺义区“一业一证”改革工作专班名单</h1>
<p class="note" id="revision" data-revision="${team.revision}">第 ${team.revision} 版，${escapeHtml(beijingDate(team.publishedAt))} 发布（${escapeHtml(team.note)}）</p>
<table id="leads">
${lead('主召集人', team.convenor)}
${lead('副召集人', team.deputyConvenor)}
${lead('专班办公室主任', team.officeDirector)}
</table>
<h2>成员单位及联络员</h2>
<table class="points" id="members">
<tr><th>序号</th><th>成员单位</th><th>主管同志</th><th>联络员</th><th>办公电话</th></tr>
${members}
</table>
<p class="note">专班办公室设在区政务服务局，负责专班日常运营。The work team's office is at the district government service bureau.</p>`,
  );
}
