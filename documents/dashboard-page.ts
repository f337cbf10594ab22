/**
 * The bureau's dashboard (工作看板): a page for the bureau and analysts with
 * charts of what the API gives their role, drawn in the browser
 * (`documents/assets/dashboard.js`, Chart.js). The page itself carries no data;
 * its script asks `/dashboard/data` with the viewer's token, which runs
 * `DASHBOARD_QUERIES` through the gateway like any client.
 */
const PANELS: [name: string, zh: string, en: string, canvases: number, height?: number][] = [
  ['permits', '每周新发综合许可凭证（按行业）', 'Permits issued per week, by industry', 1],
  ['processing', '办理用时：各事项对比承诺与法定时限，及用时分布', 'Processing time per item against its limits, and the distribution', 2],
  ['due', '逾期及临近到期事项', 'Overdue and soon-due items', 1],
  // One row per industry: tall enough for 40 and more.
  ['reform', '改革成效（各行业压减比例）', 'The reform per industry: reductions', 1, 900],
  ['rollout', '推进看板', 'The rollout board', 1],
  ['supervision', '联合检查与风险等级', 'Joint inspections and risk grades', 1],
];

export function renderDashboardPage(): string {
  const sections = PANELS.map(
    ([name, zh, en, canvases, height]) => `<section data-panel="${name}" data-state="loading">
<h2>${zh} <span class="en">${en}</span></h2>
${Array.from({ length: canvases }, () => `<div class="chart"${height ? ` style="height:${height}px"` : ''}><canvas></canvas></div>`).join('\n')}
<dl class="figures"></dl><p class="note"></p>
</section>`,
  ).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>一业一证 工作看板 / Bureau dashboard</title>
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#1f2328}
header{padding:12px 20px;background:#1f2328;color:#fff}header h1{font-size:1.2rem;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px;padding:16px}
section{background:#fff;border-radius:8px;padding:12px 16px}h2{font-size:1rem;margin:0 0 8px}.en{color:#57606a;font-size:.85em;font-weight:normal}
.chart{position:relative;height:260px}dl.figures{display:grid;grid-template-columns:auto auto;gap:2px 12px;font-size:.9em}dt{color:#57606a}dd{margin:0;font-weight:600}
.note{color:#a50e0e}#status{font-size:.85em;color:#c9d1d9;margin:4px 0 0}form#signin{padding:16px}
</style></head><body>
<header><h1>顺义区“一业一证”改革 工作看板 <span class="en">Bureau dashboard</span></h1><p id="status">加载中 / loading…</p></header>
<form id="signin" hidden><label>令牌 / token <input name="token" size="60" autocomplete="off"></label> <button type="submit">登录 / sign in</button></form>
<main>
${sections}
</main>
<script src="/assets/chart.umd.min.js"></script>
<script src="/assets/dashboard.js"></script>
</body></html>`;
}
