import type { Department } from '../registry';
import { CLOCK_SDL } from '../clock';

/**
 * SDL shared by every department subgraph. The common interfaces and enums
 * must be identical in each (composition merges them); the per-department
 * names (`<typePrefix>Review`, the `<graphqlName>` root fields) keep routing
 * unambiguous: the query planner routes by type and field, not by instance.
 */
const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])`;

/** Identical in every department (hence shareable): the definitions a department owns, as it publishes them. */
const ITEM_DEFINITION_SDL = `
"""
本部门定义并决定的审批事项（来自部门自己的 items.json）。An approval item this
department defines and decides, as the department itself publishes it.
"""
type DepartmentItemDefinition @shareable {
  "事项编码。Item code."
  code: ID!
  "事项名称。Name in Chinese."
  nameZh: String!
  "事项名称（英文）。Name in English."
  nameEn: String!
  "许可证类型。Licence type issued."
  licenceType: String!
  "法定时限（工作日）。Statutory working days."
  statutoryDays: Int!
  "承诺时限（工作日）。Committed working days."
  committedDays: Int!
  "是否可适用告知承诺。Commitment approval allowed."
  commitmentAllowed: Boolean!
}
`;

/** The licence states, as every department and the permit subgraph declare them (the permit reads them live). */
export const LICENCE_STATUS_SDL = `"单项许可证状态。State of a single-item licence."
enum LicenceStatus {
  "有效。Valid."
  VALID
  "注销。Cancelled (e.g. on the holder's request)."
  CANCELLED
  "失效（含到期）。Lapsed, including reaching its end date."
  LAPSED
  "撤回。Withdrawn by the department."
  WITHDRAWN
  "撤销。Annulled (granted unlawfully)."
  ANNULLED
  "吊销。Revoked as a penalty."
  REVOKED
}`;

export const LICENCE_COMMON_FIELDS = `
  "许可证标识。Licence id, unique across the platform."
  id: ID!
  "许可证编号。Licence number printed on the certificate."
  licenceNumber: String
  "审批事项编码。Approval item code (catalogue)."
  itemCode: String
  "审批事项名称（中文）。Approval item name in Chinese."
  itemNameZh: String
  "审批事项名称（英文）。Approval item name in English."
  itemNameEn: String
  "发证部门编码。Deciding department code."
  departmentCode: String
  "发证部门名称。Deciding department name in Chinese."
  departmentNameZh: String
  "持证主体名称。Holder (business) name."
  holderName: String
  "持证主体统一社会信用代码。Holder's unified social credit code."
  holderCreditCode: String
  "当前状态（实时，由发证部门提供）。Current state, live from the deciding department."
  status: LicenceStatus
  "发证时间。Issued at (ISO 8601)."
  issuedAt: String
  "有效期至。Valid until (YYYY-MM-DD)."
  validUntil: String
  "终止时间（注销、失效、撤回、撤销、吊销）。When the licence ended, if it has."
  endedAt: String
  "终止原因。Why the licence ended, if it has."
  endedReason: String`;

const REVIEW_COMMON_FIELDS = `
  "审查记录标识。Review id (application id + item code)."
  id: ID!
  "申请标识。Application id in the applications subgraph."
  applicationId: String
  "申请编号。Application number shown to the applicant."
  applicationNumber: String
  "审批事项编码。Approval item code."
  itemCode: String
  "审批事项名称。Approval item name in Chinese."
  itemNameZh: String
  "审批部门编码。Department code."
  departmentCode: String
  "申请主体名称。Applicant business name."
  holderName: String
  "申请主体统一社会信用代码。Applicant's unified social credit code."
  holderCreditCode: String
  "审查状态。Review state."
  state: ReviewState
  "收件时间（综合窗口分送时间）。When the window dispatched the item here."
  receivedAt: String
  "决定时间。When the decision was made."
  decidedAt: String
  "作出决定的审批人员。Who decided (reviewer id)."
  decidedBy: String
  "不予许可的理由。Reasons for a denial."
  reasons: [String!]
  "审查轮次：被驳回后补正重报为下一轮。Round: a resubmission after a denial is the next round."
  round: Int`;

export const SHARED_DEPARTMENT_SDL = `
"""
单项审批证件（各部门发放的单项许可证）的公共字段。Common fields of a single-item
licence issued by one department. Each department has its own concrete types.
"""
interface SingleLicence {${LICENCE_COMMON_FIELDS}
}

"""
部门对一个审批事项的审查。A department's review of one approval item of an application.
"""
interface ItemReview {${REVIEW_COMMON_FIELDS}
}

${LICENCE_STATUS_SDL}

"部门审查状态。State of a department review."
enum ReviewState {
  "待审查。Awaiting decision."
  PENDING
  "准予许可。Approved; the licence is issued."
  APPROVED
  "不予许可。Denied."
  DENIED
  "已要求补正，等待申请人（时限暂停）。Correction requested; the clock stands still."
  CORRECTION_REQUESTED
  "申请人已撤回。Withdrawn by the applicant."
  WITHDRAWN
}

"单项许可证终止的方式。How a licence ends (each voids the comprehensive permit)."
enum LicenceEnding {
  "注销。Cancelled."
  CANCELLED
  "失效。Lapsed."
  LAPSED
  "撤回。Withdrawn."
  WITHDRAWN
  "撤销。Annulled."
  ANNULLED
  "吊销。Revoked."
  REVOKED
}

"任意 JSON 值（表单填报值）。Any JSON value (submitted form values)."
scalar JSON
${ITEM_DEFINITION_SDL}
${CLOCK_SDL}
"现场核查。A site inspection."
type SiteInspection @shareable {
  "安排的核查日期。Date scheduled."
  scheduledFor: String
  "结论记录时间。When the result was recorded."
  recordedAt: String
  "是否合格。Passed."
  passed: Boolean
  "核查情况。Findings."
  notes: String
}

"告知承诺事后核查状态。State of a commitment verification."
enum VerificationState {
  "待核查。Open."
  OPEN
  "核查属实。Passed."
  PASSED
  "核查不实（许可证已撤销）。Failed: the licence is annulled."
  FAILED
}

"告知承诺审批后的核查任务。The verification due after a commitment approval."
type VerificationTask @shareable {
  "任务标识（即审查记录标识）。Id (the review id)."
  id: ID!
  "许可证标识。Licence granted on the commitment."
  licenceId: String!
  "申请标识。Application id."
  applicationId: String!
  "事项编码。Item code."
  itemCode: String!
  "持证主体。Holder."
  holderName: String!
  "创建时间。Created at."
  createdAt: String!
  "核查期限（工作日计算；节假日安排未载入时为空）。Deadline in working days; null while the year's schedule is not loaded."
  deadline: String
  "状态。State."
  state: VerificationState!
  "结论记录时间。Recorded at."
  recordedAt: String
  "记录人。Recorded by."
  recordedBy: String
  "核查情况。Findings."
  notes: String
}
"许可证履历中的一条（只增不改）。One entry of a licence's append-only history."
type LicenceHistoryEntry @shareable {
  "时间。When."
  at: String!
  "动作：ISSUED、CHANGED、FACE_CHANGED、ENDED。Action."
  action: String!
  "操作者角色。Role of the actor (SYSTEM for a lapse)."
  byRole: String!
  "操作者所属部门。Actor's department."
  byDepartment: String
  "操作者。Actor."
  by: String!
  "原因。Why."
  reason: String
  "变更内容。What changed."
  changes: JSON
}

"非证面信息变更（不换发综合许可凭证）。A change that is not on the permit's face: no re-issue."
input LicenceChangeInput {
  "新的有效期截止日（YYYY-MM-DD，须晚于今天）。New end date, later than today."
  validUntil: String
  "许可证专有字段的新值（如经营项目）。New values of the licence's own fields (e.g. business items)."
  details: JSON
}
`;

/** The full SDL of one department subgraph. */
export function departmentTypeDefs(department: Department): string {
  const p = department.typePrefix;
  const licenceTypes = [...new Set(department.items.map((i) => i.licenceType))];
  const licenceTypeSdl = licenceTypes
    .map((type) => {
      const item = department.items.find((i) => i.licenceType === type)!;
      return `"""
${item.licenceNameZh}（${department.nameZh}发放）。${item.licenceNameEn}, issued by ${department.nameEn}.
"""
type ${type} implements SingleLicence @key(fields: "id") {${LICENCE_COMMON_FIELDS}
}`;
    })
    .join('\n\n');

  return `${FEDERATION_LINK}
${SHARED_DEPARTMENT_SDL}
"""
${department.nameZh}对一个审批事项的审查。A review by ${department.nameEn}.
"""
type ${p}Review implements ItemReview @key(fields: "id") {${REVIEW_COMMON_FIELDS}
  "本事项的填报值（综合窗口分送）。The form values for this item, as dispatched."
  values: JSON
  "办理时限（工作日，补正期间暂停）。The time limit in working days; it stands still during a correction."
  clock: ItemClock
  "告知承诺审批（事后核查）。Approved on the applicant's commitment, to be verified."
  onCommitment: Boolean
  "要求补正的内容。What the correction request asked for."
  correctionProblems: [String!]
  "现场核查。The site inspection, where the item needs one."
  inspection: SiteInspection
  "准予许可后发放的许可证。The licence issued on approval."
  licence: SingleLicence
}

${licenceTypeSdl}

${department.licenceSdl}

"${department.nameZh}的查询。Queries of ${department.nameEn}."
type ${p}Queries {
  "本部门的审查队列（仅本部门审批人员）。This department's reviews (its reviewers only)."
  reviews(state: ReviewState): [${p}Review!]!
  "一条审查记录。One review."
  review(id: ID!): ${p}Review
  "本部门发放的一张许可证（公开）。One licence issued by this department (public)."
  licence(id: ID!): SingleLicence
  "本部门的告知承诺核查任务。This department's commitment verifications."
  verificationTasks(state: VerificationState): [VerificationTask!]!
  "本部门定义的审批事项（公开）。The approval items this department defines (public)."
  items: [DepartmentItemDefinition!]!
  "许可证履历（持证人、区政务服务局、本部门）。A licence's history (holder, bureau, this department)."
  licenceHistory(licenceId: ID!): [LicenceHistoryEntry!]!
}

"${department.nameZh}的操作。Actions of ${department.nameEn}."
type ${p}Mutations {
  "准予许可并发放单项许可证。Approve the item and issue its licence."
  approve(reviewId: ID!, comment: String): ${p}Review!
  "不予许可，须说明理由。Deny the item, with reasons."
  deny(reviewId: ID!, reasons: [String!]!): ${p}Review!
  "终止一张许可证（注销、失效、撤回、撤销、吊销）；综合许可凭证随之作废。End a licence; the comprehensive permit becomes void."
  endLicence(licenceId: ID!, ending: LicenceEnding!, reason: String!): SingleLicence!
  "要求申请人补正（时限暂停；每个事项依法只能要求一次）。Ask the applicant for a correction: the clock stands still; once per item unless the law allows more."
  requestCorrection(reviewId: ID!, problems: [String!]!): ${p}Review!
  "安排现场核查（需核查的事项）。Schedule the site inspection of an item that needs one."
  scheduleInspection(reviewId: ID!, date: String!): ${p}Review!
  "记录现场核查结论；合格后方可准予许可。Record the inspection; approval needs it passed."
  recordInspection(reviewId: ID!, passed: Boolean!, notes: String!): ${p}Review!
  "记录告知承诺核查结论；不实则撤销许可证（综合许可凭证随之作废）。Record a commitment verification; if untrue the licence is annulled and the permit voided."
  recordVerification(reviewId: ID!, passed: Boolean!, notes: String!): VerificationTask!
  "非证面信息变更（如延续有效期、变更经营项目）：扫码即见，无需换发。Change what the permit's face does not show (validity, business items): the next scan shows it."
  changeLicence(licenceId: ID!, change: LicenceChangeInput!, reason: String!, "重试安全的幂等键。Idempotency key: a retry returns the first result." idempotencyKey: String): SingleLicence!
}

type Query {
  "${department.nameZh}（${department.code}）。${department.nameEn}."
  ${department.graphqlName}: ${p}Queries!
}

type Mutation {
  "${department.nameZh}（${department.code}）。${department.nameEn}."
  ${department.graphqlName}: ${p}Mutations!
}
`;
}
