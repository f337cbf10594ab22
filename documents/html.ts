/** Text made safe inside HTML (element content and quoted attributes): the one escape every page uses. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * An A4-friendly page for people to read and print (the guide, the compliance
 * manual): `title` and `body` are HTML, already escaped by the caller.
 */
export function printablePage(lang: 'zh' | 'en', title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font-family:"Noto Serif CJK SC","Songti SC",serif;max-width:860px;margin:0 auto;padding:24px;color:#111;line-height:1.5}
h1{font-size:1.5rem;text-align:center}h2{font-size:1.15rem;border-bottom:2px solid #333;padding-bottom:4px;margin-top:28px}
h3{font-size:1.05rem}h3 small{color:#666;font-weight:normal}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:6px 8px;vertical-align:top;text-align:left}
th{width:22%;background:#f3f3f3}ol{margin:0;padding-left:1.4em}.note{color:#666;font-size:.85em}.notice{border-left:4px solid #b06000;background:#fff7e6;padding:.4em .8em}
.summary td{font-weight:600}.item{page-break-inside:avoid}
table.points th{width:auto}.enforcement{font-weight:600}
@media print{body{padding:0}a{color:inherit;text-decoration:none}}
</style></head><body>
${body}
</body></html>`;
}
