import { beijingDate } from '../shared/beijing-calendar';
import { ISSUER } from '../shared/elicence';
import { licenceStatusText, OVERALL_STATE_TEXT, overallStateOfScan } from '../shared/permit-state';
import { escapeHtml } from './html';
import type { ScannedPermitFragment, VerifyQuery } from './__generated__/operations';



/** The answers the scan page renders, typed from its queries (documents/queries.ts) by `npm run generate`. */
export type Verification = VerifyQuery['verifyPermit'];
export type ScannedPermit = ScannedPermitFragment;
export type ScannedLicence = NonNullable<ScannedPermit['items'][number]['licence']>;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0;background:#f4f5f7;color:#1f2328}
main{max-width:640px;margin:0 auto;padding:16px}
h1{font-size:1.25rem;margin:.5rem 0}
.state{padding:12px 16px;border-radius:8px;font-weight:600;margin:12px 0}
.VALID,.VALID_WITH_NOTED_ITEMS{background:#e6f4ea;color:#137333}.VOID{background:#fce8e6;color:#a50e0e}.PARTLY_UNAVAILABLE{background:#fef7e0;color:#8a5a00}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;background:#fff;padding:12px 16px;border-radius:8px}
dt{color:#57606a}dd{margin:0}
.item{background:#fff;border-radius:8px;padding:12px 16px;margin:8px 0}
.item small{color:#57606a}.en{color:#57606a;font-size:.85em}
.panel{background:#fff;border-radius:8px;padding:12px 16px;margin:8px 0}.panel textarea,.panel input,.panel select{box-sizing:border-box;max-width:100%;width:100%}
.check{padding:8px 12px;border-radius:8px;font-size:.9em}.AUTHENTIC{background:#e6f4ea;color:#137333}.REGISTERED,.SUPERSEDED{background:#fef7e0;color:#8a5a00}
.BAD_SIGNATURE,.UNKNOWN_KEY{background:#fce8e6;color:#a50e0e;font-weight:600}
.bad{color:#a50e0e}.warn{color:#8a5a00}.ok{color:#137333}
</style></head><body><main>${body}</main></body></html>`;
}

export function renderScanPage(permit: ScannedPermit, unavailableDepartments: string[], verification?: Verification): string {
  const overall = overallStateOfScan(permit);
  const text = OVERALL_STATE_TEXT[overall];
  const current = permit.currentVersion;
  const check = verification
    ? `<p class="check ${verification.result}" id="verification" data-result="${escapeHtml(verification.result)}">${escapeHtml(verification.messageZh)}<br><span class="en">${escapeHtml(verification.messageEn)}</span></p>`
    : `<p class="check REGISTERED" id="verification" data-result="REGISTERED">按编码查询，未核验签名<br><span class="en">Looked up by code; no signature checked</span></p>`;
  const superseded =
    permit.status === 'SUPERSEDED' && current
      ? `<p class="warn">本凭证第 ${permit.version} 版已换发，当前为第 ${current.version} 版：<a href="${escapeHtml(current.scanUrl)}">${escapeHtml(current.code)}</a><br><span class="en">Replaced: see the current version</span></p>`
      : '';
  const items = permit.items
    .map((item) => {
      let state: string;
      if (!item.permitted) state = `<span class="warn">未许可 <span class="en">Not permitted</span></span>`;
      else if (!item.licence || item.licence.status === null)
        state = `<span class="warn">暂时无法查询 <span class="en">Department unavailable</span></span>`;
      else
        state = `<span class="${item.licence.status === 'VALID' ? 'ok' : 'bad'}">${escapeHtml(licenceStatusText(item.licence.status).zh)} <span class="en">${escapeHtml(licenceStatusText(item.licence.status).en)}</span></span>`;
      return `<div class="item" data-item="${escapeHtml(item.itemCode)}">
  <div><strong>${escapeHtml(item.itemNameZh)}</strong> <span class="en">${escapeHtml(item.itemNameEn)}</span></div>
  <div>${state}</div>
  <small>${escapeHtml(item.departmentNameZh)}${item.licence?.licenceNumber ? ` · 证号 ${escapeHtml(item.licence.licenceNumber)}` : ''}${item.licence?.validUntil ? ` · 有效期至 ${escapeHtml(item.licence.validUntil)}` : ''}</small>
</div>`;
    })
    .join('\n');
  const unavailable = unavailableDepartments.length
    ? `<p class="warn">以下部门暂时无法查询 / Unavailable: ${unavailableDepartments.map(escapeHtml).join('、')}</p>`
    : '';
  return page(
    `综合许可凭证 ${permit.code}`,
    `<h1>综合许可凭证 <span class="en">Comprehensive Permit</span></h1>
${check}
<div class="state ${overall}" id="overall-state" data-state="${overall}">${escapeHtml(text.zh)} · ${escapeHtml(text.en)}</div>
${superseded}
${permit.voidReason ? `<p class="bad">作废原因 / Void because: ${escapeHtml(permit.voidReason)}</p>` : ''}
${unavailable}
<dl>
<dt>凭证编码</dt><dd>${escapeHtml(permit.code)}（第 ${permit.version} 版）</dd>
<dt>行业</dt><dd>${escapeHtml(permit.industryNameZh)} <span class="en">${escapeHtml(permit.industryNameEn)}</span></dd>
<dt>名称</dt><dd>${escapeHtml(permit.holderName)}</dd>
<dt>统一社会信用代码</dt><dd>${escapeHtml(permit.holderCreditCode)}</dd>
<dt>法定代表人</dt><dd>${escapeHtml(permit.legalRepresentative)}</dd>
<dt>经营场所</dt><dd>${escapeHtml(permit.businessAddress)}</dd>
<dt>发证日期</dt><dd>${escapeHtml(beijingDate(permit.issuedAt))}</dd>
<dt>发证机关</dt><dd>${escapeHtml(ISSUER.nameZh)}</dd>
</dl>
<h2>单项许可 <span class="en">Licences</span></h2>
${items}
${inspectionSection(permit)}
${complaintForm(permit)}`,
  );
}

/** 一公开: the last joint inspection's date and result, nothing more. */
function inspectionSection(permit: ScannedPermit): string {
  const last = permit.lastInspection;
  const text = !last
    ? '尚未接受联合检查 <span class="en">Not yet jointly inspected</span>'
    : `${escapeHtml(last.closedOn)} · <span class="${last.result === 'PASSED' ? 'ok' : 'bad'}">${last.result === 'PASSED' ? '合格 <span class="en">Passed</span>' : '不合格，已责令处理 <span class="en">Failed; follow-up ordered</span>'}</span>`;
  return `<h2>最近一次联合检查 <span class="en">Last joint inspection</span></h2>
<p class="panel" id="last-inspection" data-result="${escapeHtml(last?.result ?? 'NONE')}" data-closed-on="${escapeHtml(last?.closedOn ?? '')}">${text}</p>`;
}

/** Co-governance: anyone may report a problem against this permit; the form posts to this service, which asks the gateway. */
function complaintForm(permit: ScannedPermit): string {
  const options = permit.items
    .filter((i) => i.permitted)
    .map((i) => `<option value="${escapeHtml(i.itemCode)}">${escapeHtml(i.itemNameZh)}</option>`)
    .join('');
  return `<h2>投诉举报 <span class="en">Report a problem</span></h2>
<form class="panel" id="complaint" method="post" action="/scan/${encodeURIComponent(permit.code)}/complaints">
<label>所涉事项 <span class="en">About</span> <select name="itemCode"><option value="">全部 / any</option>${options}</select></label><br>
<label>问题说明（10–1000 字）<span class="en">The problem, 10–1,000 characters</span><br><textarea name="text" rows="4" minlength="10" maxlength="1000" required></textarea></label><br>
<label>联系方式（可选）<span class="en">Contact, optional</span> <input name="contact" maxlength="100"></label><br>
<button type="submit">提交 / Send</button>
</form>`;
}

/** What the person reporting sees after sending: the receipt, or why it was refused. */
export function renderComplaintAnswer(code: string, receipt: { id: string; receivedAt: string; departmentCodes: string[] } | null, problems: { message: string; path?: string }[]): string {
  const back = `<p><a href="/scan/${encodeURIComponent(code)}">返回凭证 / Back to the permit</a></p>`;
  if (receipt) {
    return page(
      '已受理',
      `<h1>投诉举报已受理 <span class="en">Received</span></h1>
<p id="complaint-receipt" data-id="${escapeHtml(receipt.id)}">回执编号 / Receipt: <code>${escapeHtml(receipt.id)}</code><br>受理时间 / Received: ${escapeHtml(receipt.receivedAt)}<br>承办部门 / Sent to: ${receipt.departmentCodes.map(escapeHtml).join('、')}</p>${back}`,
    );
  }
  return page(
    '未能受理',
    `<h1>未能受理 <span class="en">Not received</span></h1>
<ul id="complaint-problems">${problems.map((p) => `<li${p.path ? ` data-path="${escapeHtml(p.path)}"` : ''}>${escapeHtml(p.message)}</li>`).join('')}</ul>${back}`,
  );
}

export function renderNotFoundPage(code: string): string {
  return page(
    '未找到凭证',
    `<h1>未找到该综合许可凭证</h1><p>No comprehensive permit has the code <code>${escapeHtml(code)}</code>. 请核对二维码是否完整清晰。</p>`,
  );
}

export function renderUnavailablePage(): string {
  return page(
    '服务暂时不可用',
    `<h1>凭证查询服务暂时不可用</h1><p>请稍后再扫码。The permit service is unavailable right now; please scan again shortly.</p>`,
  );
}

/** A QR that fails its signature check: show nothing of the permit it names. */
export function renderForgedPage(verification: Verification): string {
  return page(
    '二维码核验失败',
    `<h1>二维码核验失败 <span class="en">Verification failed</span></h1>
<p class="check ${escapeHtml(verification.result)}" id="verification" data-result="${escapeHtml(verification.result)}">${escapeHtml(verification.messageZh)}<br><span class="en">${escapeHtml(verification.messageEn)}</span></p>
<p>请向持证主体或区政务服务局核实。Check with the holder or the district bureau.</p>`,
  );
}
