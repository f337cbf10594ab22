import { invalidInput, platformError } from '../../../shared/errors';
import { priorOf, requestKey } from '../../../shared/idempotency';
import { byId, insertOnce } from '../../../shared/records';
import { checkUpload } from '../../../shared/uploads';
import { applicableItems, requiredMaterials, submittedValue, type Catalogue } from '../catalogue';
import { connected, heldSourceView, valuesFor } from '../held-sources';
import { editionsFor } from '../editions';
import { ApplicationStore } from '../store';
import type { Application, Material } from '../application';
import { requireApplication, requireOwnerOrClerk } from './access';
import type { ApplicationMaterial, Resolvers } from '../__generated__/resolver-types';

/** The business licence is held in the city e-licence library: referenced, never uploaded. */
export const ELICENCE_BUSINESS_LICENCE = 'ELICENCE:business-licence';

const ATTACHED_STATUS = { UPLOAD: 'PROVIDED', HELD: 'HELD', FETCHED: 'FETCHED' } as const;

/** The values a held material's source needs, from the application's form, when all were given. */
export function sourceValues(app: Application, m: { heldBy?: string; itemCodes: string[] }): Record<string, string> | null {
  return m.heldBy ? valuesFor(m.heldBy, (key) => submittedValue(app.values, m.itemCodes[0], key)) : null;
}

/**
 * Each required material of an application and how it stands (fixed from
 * acceptance on: nothing is attached after it). One the government holds, from
 * a source this deployment fetches from, is `TO_FETCH` until the window accepts.
 */
export function materialStatuses(app: Application, catalogue: Catalogue): ApplicationMaterial[] {
  const industry = catalogue.industry(app.doc.industryCode)!;
  const items = applicableItems(catalogue, industry, app.doc.answers);
  return requiredMaterials(items, app.doc.commitments ?? []).map((m) => {
    const attached = app.materials.get(m.code);
    const fetchable = m.heldBy && connected(m.heldBy) && sourceValues(app, m);
    return {
      code: m.code,
      nameZh: m.nameZh,
      nameEn: m.nameEn,
      itemCodes: m.itemCodes,
      status: attached ? ATTACHED_STATUS[attached.source] : m.omittedByCommitment ? 'COMMITTED' : fetchable ? 'TO_FETCH' : 'MISSING',
      heldBy: m.heldBy ? heldSourceView(m.heldBy) : null,
      annotations: m.annotations,
      file: attached ? { name: attached.name, sha256: attached.sha256, size: attached.size, mediaType: attached.mediaType, reference: attached.reference } : null,
    };
  });
}

export function materialResolvers(): Resolvers {
  return {
    Query: {
      /** Materials this business already holds: the e-licence library's business licence, and earlier uploads. */
      heldMaterials: async (_, args, ctx) => {
        const { identity } = ctx;
        if (identity.role !== 'CLERK' && !(identity.role === 'APPLICANT' && identity.creditCode === args.creditCode)) {
          throw platformError('FORBIDDEN', '只能查看本企业已有的材料', "You may only see your own business's materials", { field: 'creditCode' });
        }
        // A list for one business (a sweep over the uploads, not a request's hot path).
        const uploads = await new ApplicationStore(ctx.db).uploads.find({ creditCode: args.creditCode }).sort({ at: -1 }).toArray();
        return [
          { reference: ELICENCE_BUSINESS_LICENCE, materialCode: 'business-licence', name: '营业执照（电子证照）', source: 'ELICENCE', size: null, mediaType: null },
          ...uploads.map((u) => ({ reference: `UPLOAD:${u.sha256}`, materialCode: u.materialCode, name: u.name, source: 'UPLOAD', size: u.size, mediaType: u.mediaType })),
        ];
      },
    },
    Mutation: {
      attachMaterial: async (_, args, ctx) => {
        const { input } = args;
        const request = requestKey(ctx.identity, args.idempotencyKey, input);
        const store = new ApplicationStore(ctx.db);
        const app = await requireApplication(store, input.applicationId, 'input.applicationId');
        requireOwnerOrClerk(ctx.identity, app, 'input.applicationId');
        // Asked before with this key: answered as then (from the application as it stands).
        if (priorOf(app.steps, request)) {
          const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
          return materialStatuses(app, catalogue).find((m) => m.code === input.materialCode)!;
        }
        const attachable = (current: Application) => {
          if (!['SUBMITTED', 'SUPPLEMENT_REQUESTED'].includes(current.status)) {
            throw platformError('WRONG_STATE', '申请已受理或已办结，不能再补交材料', 'Materials can only be attached before intake is complete', { field: 'input.applicationId' });
          }
        };
        attachable(app);
        const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
        if (!materialStatuses(app, catalogue).some((m) => m.code === input.materialCode)) {
          throw invalidInput([
            { path: 'input.materialCode', code: 'UNKNOWN_MATERIAL', messageZh: `本申请不需要材料「${input.materialCode}」`, messageEn: `This application needs no material "${input.materialCode}"` },
          ]);
        }
        if (Boolean(input.file) === Boolean(input.heldReference)) {
          throw invalidInput([{ path: 'input', code: 'REQUIRED', messageZh: '请上传文件或引用已有材料（二选一）', messageEn: 'Give either a file or a held material, not both' }]);
        }
        const base = { materialCode: input.materialCode, attachedAt: new Date(), attachedBy: ctx.identity.subject };
        let material: Material;
        if (input.heldReference) {
          material = await heldMaterial(store, app, input.materialCode, input.heldReference, base);
        } else {
          const { bytes, sha256, size, mediaType, name } = checkUpload(input.file!, 'input.file');
          // Stored once per content, whoever sends it how often; the business may reference it later.
          await insertOnce(store.files, { _id: sha256, data: bytes, size, mediaType });
          await insertOnce(store.uploads, { _id: `${app.doc.creditCode}:${sha256}`, creditCode: app.doc.creditCode, sha256, materialCode: input.materialCode, name, size, mediaType, at: new Date() });
          material = { ...base, source: 'UPLOAD', sha256, reference: null, size, mediaType, name };
        }
        // A step of the application: an attachment after acceptance cannot slip in.
        const { app: after } = await store.append(
          app.id,
          (current) => {
            attachable(current);
            return { kind: 'MATERIAL_ATTACHED', at: material.attachedAt, by: ctx.identity.subject, material };
          },
          request,
        );
        ctx.log.info({ applicationId: app.id, material: input.materialCode, source: material.source }, 'material attached');
        return materialStatuses(after, catalogue).find((m) => m.code === input.materialCode)!;
      },
    },
  };
}

async function heldMaterial(store: ApplicationStore, app: Application, materialCode: string, reference: string, base: Pick<Material, 'materialCode' | 'attachedAt' | 'attachedBy'>): Promise<Material> {
  if (reference === ELICENCE_BUSINESS_LICENCE) {
    if (materialCode !== 'business-licence') {
      throw invalidInput([{ path: 'input.heldReference', code: 'WRONG_MATERIAL', messageZh: '电子营业执照只能用作营业执照', messageEn: 'The electronic business licence can only stand for the business licence' }]);
    }
    return { ...base, source: 'HELD', sha256: null, reference: `${ELICENCE_BUSINESS_LICENCE}:${app.doc.creditCode}`, size: null, mediaType: null, name: '营业执照（电子证照）' };
  }
  const sha256 = reference.startsWith('UPLOAD:') ? reference.slice(7) : '';
  const earlier = sha256 ? await byId(store.uploads, `${app.doc.creditCode}:${sha256}`) : null;
  if (!earlier) {
    throw invalidInput([{ path: 'input.heldReference', code: 'NOT_HELD', messageZh: '本企业没有这份已提交过的材料', messageEn: 'Your business has not handed in this material before' }]);
  }
  return { ...base, source: 'HELD', sha256, reference, size: earlier.size, mediaType: earlier.mediaType, name: earlier.name };
}
