/*
 * The bureau's dashboard in the browser: asks /dashboard/data with the
 * viewer's token (kept in this tab's sessionStorage; a link may carry it as
 * #token=…, which is moved there and taken out of the address), then draws
 * each panel with Chart.js and writes its key figures beside the chart, each
 * in an element with data-figure="…" (what the browser test compares with the API).
 */
(function () {
  'use strict';
  const STAGES = ['DRAFT', 'ENTRUSTED', 'PILOT', 'LIVE', 'PAUSED'];
  const STAGE_ZH = { DRAFT: '准备中', ENTRUSTED: '已委托授权', PILOT: '试点', LIVE: '全面推行', PAUSED: '暂停' };
  const PALETTE = ['#1f6feb', '#d97706', '#16a34a', '#dc2626', '#7c3aed', '#0891b2', '#be185d', '#65a30d', '#9a3412', '#475569'];
  const percent = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

  function takeToken() {
    const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
    if (match) {
      sessionStorage.setItem('dashboard-token', decodeURIComponent(match[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem('dashboard-token');
  }

  function figures(section, pairs) {
    const list = section.querySelector('.figures');
    list.innerHTML = '';
    for (const [key, label, value] of pairs) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.figure = key;
      dd.textContent = String(value);
      list.append(dt, dd);
    }
  }

  function chart(section, config) {
    const canvas = section.querySelector('canvas');
    canvas.dataset.drawn = 'true';
    return new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) } });
  }

  const PANELS = {
    permits(section, data) {
      const rows = data.permitsIssuedPerWeek;
      const weeks = [...new Set(rows.map((r) => r.weekStart))].sort();
      const industries = [...new Set(rows.map((r) => r.industryCode))];
      chart(section, {
        type: 'bar',
        data: {
          labels: weeks,
          datasets: industries.map((code, i) => ({ label: code, backgroundColor: PALETTE[i % PALETTE.length], data: weeks.map((w) => rows.find((r) => r.industryCode === code && r.weekStart === w)?.issued ?? 0) })),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
      figures(section, [['permitsIssued', '12 周新发凭证 / permits in 12 weeks', rows.reduce((s, r) => s + r.issued, 0)], ['industriesIssuing', '有发证的行业 / industries', industries.length]]);
    },
    processing(section, data) {
      const stats = data.processingStatistics;
      const items = stats.byItem.filter((i) => i.decided > 0);
      chart(section, {
        type: 'bar',
        data: {
          labels: items.map((i) => i.itemCode),
          datasets: [
            { label: '中位数 / median', backgroundColor: '#1f6feb', data: items.map((i) => i.medianWorkingDays) },
            { label: 'P90', backgroundColor: '#93c5fd', data: items.map((i) => i.p90WorkingDays) },
            { type: 'line', label: '承诺时限 / committed', borderColor: '#16a34a', pointStyle: 'rectRot', showLine: false, data: items.map((i) => i.committedDays) },
            { type: 'line', label: '法定时限 / statutory', borderColor: '#dc2626', pointStyle: 'triangle', showLine: false, data: items.map((i) => i.statutoryDays) },
          ],
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: '工作日 / working days' } } } },
      });
      // The distribution of every decided item's working days, all items together.
      const histogram = new Map();
      for (const item of items) for (const d of item.distribution) histogram.set(d.workingDays, (histogram.get(d.workingDays) || 0) + d.count);
      const days = [...histogram.keys()].sort((a, b) => a - b);
      const second = section.querySelectorAll('canvas')[1];
      second.dataset.drawn = 'true';
      new Chart(second, {
        type: 'bar',
        data: { labels: days.map((d) => `${d}`), datasets: [{ label: '事项数 / items by working days taken', backgroundColor: '#7c3aed', data: days.map((d) => histogram.get(d)) }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
      const intake = stats.intake;
      figures(section, [
        ['itemsDecided', '已决定事项 / items decided', intake.itemsDecided],
        ['overCommitted', '超承诺时限 / over committed', items.reduce((s, i) => s + i.overCommitted, 0)],
        ['submitted', '提交申请 / submitted', intake.submitted],
        ['supplementRate', '补正率 / supplement rate', percent(intake.supplementRate)],
        ['refusalRate', '不予受理率 / refused at intake', percent(intake.refusalRate)],
        ['denialRate', '不予许可率 / items denied', percent(intake.denialRate)],
      ]);
    },
    due(section, data) {
      const due = data.itemsDue;
      const overdue = due.filter((d) => d.clock.overdue);
      const departments = [...new Set(due.map((d) => d.departmentCode))].sort();
      chart(section, {
        type: 'bar',
        data: {
          labels: departments,
          datasets: [
            { label: '已逾期 / overdue', backgroundColor: '#dc2626', data: departments.map((c) => overdue.filter((d) => d.departmentCode === c).length) },
            { label: '临近到期 / soon due', backgroundColor: '#d97706', data: departments.map((c) => due.filter((d) => d.departmentCode === c && !d.clock.overdue).length) },
          ],
        },
        options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
      });
      figures(section, [['overdue', '已逾期 / overdue', overdue.length], ['soonDue', '临近到期 / soon due', due.length - overdue.length]]);
    },
    reform(section, data) {
      const rows = data.reformFigures;
      chart(section, {
        type: 'bar',
        data: {
          labels: rows.map((r) => r.industryNameZh),
          datasets: [
            { label: '表单字段 / fields', backgroundColor: '#1f6feb', data: rows.map((r) => Math.round(r.formFieldReduction * 1000) / 10) },
            { label: '材料 / materials', backgroundColor: '#d97706', data: rows.map((r) => Math.round(r.materialReduction * 1000) / 10) },
            { label: '时限 / time', backgroundColor: '#16a34a', data: rows.map((r) => Math.round(r.timeReduction * 1000) / 10) },
          ],
        },
        options: { indexAxis: 'y', scales: { x: { beginAtZero: true, max: 100, title: { display: true, text: '压减 % / reduction %' } } } },
      });
      figures(section, [['industries', '行业 / industries', rows.length]]);
    },
    rollout(section, data) {
      const board = data.rolloutBoard;
      const counts = STAGES.map((s) => board.filter((e) => e.stage === s).length);
      chart(section, {
        type: 'doughnut',
        data: { labels: STAGES.map((s) => `${STAGE_ZH[s]} ${s}`), datasets: [{ data: counts, backgroundColor: ['#94a3b8', '#0891b2', '#d97706', '#16a34a', '#dc2626'] }] },
      });
      figures(section, [...STAGES.map((s, i) => [`stage${s}`, `${STAGE_ZH[s]} / ${s}`, counts[i]]), ['late', '逾期行业 / late', board.filter((e) => e.late.length).length]]);
    },
    supervision(section, data) {
      const f = data.supervisionFigures;
      chart(section, {
        type: 'bar',
        data: {
          labels: f.grades.map((g) => g.industryCode),
          datasets: ['A', 'B', 'C', 'D'].map((grade, i) => ({ label: grade, backgroundColor: ['#16a34a', '#1f6feb', '#d97706', '#dc2626'][i], data: f.grades.map((g) => g.counts.find((c) => c.grade === grade).count) })),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
      figures(section, [
        ['inspections', `${f.year} 联合检查 / joint inspections`, f.inspections],
        ['visitsSaved', '减少上门 / visits saved', f.visitsWithoutJointInspection - f.visitsWithJointInspection],
        ['correctionsOnTime', '按期改正率 / corrected on time', percent(f.corrections.onTimeRate)],
      ]);
    },
  };

  async function load() {
    const token = takeToken();
    const status = document.getElementById('status');
    if (!token) {
      status.textContent = '请先登录（区政务服务局或分析人员令牌）/ Sign in with a bureau or analyst token';
      document.getElementById('signin').hidden = false;
      return;
    }
    const response = await fetch('/dashboard/data', { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) {
      status.textContent = response.status === 401 ? '令牌无效或已过期 / invalid or expired token' : `看板暂时不可用 / unavailable (${response.status})`;
      document.getElementById('signin').hidden = response.status !== 401;
      return;
    }
    const answer = await response.json();
    for (const [name, panel] of Object.entries(answer.panels)) {
      const section = document.querySelector(`[data-panel="${name}"]`);
      if (panel.error) {
        section.dataset.state = 'refused';
        section.querySelector('.note').textContent = panel.error;
        continue;
      }
      PANELS[name](section, panel.data);
      section.dataset.state = 'drawn';
    }
    status.textContent = `更新于 / as of ${new Date(answer.at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}`;
    document.body.dataset.ready = 'true';
  }

  document.getElementById('signin').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('dashboard-token', new FormData(event.target).get('token'));
    location.reload();
  });
  load().catch((error) => {
    document.getElementById('status').textContent = `看板出错 / dashboard error: ${error.message}`;
  });
})();
