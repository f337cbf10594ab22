import { LICENCE_STATUS_SDL } from '../../shared/department/schema';
import { departments } from '../../shared/registry';

/**
 * Key stubs for every department's licence types. The permit stores only
 * `{ typename, id }` for each licence; the gateway fetches the fields from the
 * department that owns the type. `status` is declared external: the permit's
 * `overallState` requires it (@requires, one inline fragment per licence type),
 * so the gateway fetches each licence's live state first and hands it to the
 * permit subgraph. Generated, so adding a department adds its types.
 */
export function licenceStubsSdl(): string {
  const types = [...new Set(departments().flatMap((d) => d.items.map((i) => i.licenceType)))];
  const stubs = types.map(
    (t) => `"${t}（字段由审批部门提供）。Fields come from the deciding department."
type ${t} implements SingleLicence @key(fields: "id", resolvable: false) {
  "许可证标识。Licence id."
  id: ID!
  "状态（实时，来自审批部门）。State, live from the department."
  status: LicenceStatus @external
}`,
  );
  const statuses = types.map((t) => `... on ${t} { status }`).join(' ');
  const overallState = `extend type Permit {
  "总体状态：凭证状态与各单项许可证实时状态合并得出，扫码页即据此显示。The overall state: the permit's own state combined with each licence's live state; what a scan shows."
  overallState: OverallState! @requires(fields: "items { licence { ${statuses} } }")
}`;
  return [...stubs, LICENCE_STATUS_SDL, overallState].join('\n\n');
}
