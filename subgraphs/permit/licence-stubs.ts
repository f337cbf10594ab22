import { departments } from '../../shared/registry';

/**
 * Key stubs for every department's licence types. The permit stores only
 * `{ typename, id }` for each licence; the gateway fetches the fields from the
 * department that owns the type. Generated, so adding a department adds its types.
 */
export function licenceStubsSdl(): string {
  const types = [...new Set(departments().flatMap((d) => d.items.map((i) => i.licenceType)))];
  return types
    .map((t) => `"${t}（字段由审批部门提供）。Fields come from the deciding department."
type ${t} implements SingleLicence @key(fields: "id", resolvable: false) {
  "许可证标识。Licence id."
  id: ID!
}`)
    .join('\n\n');
}
