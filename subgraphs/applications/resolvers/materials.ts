import { createHash } from 'node:crypto';
import { invalidInput, platformError } from '../../../shared/errors';
import { priorOf, requestKey } from '../../../shared/idempotency';
import { byId, insertOnce } from '../../../shared/records';
import { applicableItems, requiredMaterials, type Catalogue } from '../catalogue';
import { editionsFor } from '../editions';
import { ApplicationStore } from '../store';
import type { Application, Material } from '../application';
import { requireApplication, requireOwnerOrClerk } from './access';
import type { ApplicationMaterial, Resolvers } from '../__generated__/resolver-types';


/** Attachments: PDF, JPEG or PNG, recognised by their first bytes (not by what the client claims), at most 5 MiB. */
export const MAX_MATERIAL_BYTES = 5 * 1024 * 1024;
const SIGNATURES: Record<string, number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

/** The business licence is held in the city e-licence library: referenced, never uploaded. */
export const ELICENCE_BUSINESS_LICENCE = 'ELICENCE:business-licence';

export function sniffMediaType(bytes: Buffer): string | null {
  return Object.entries(SIGNATURES).find(([, signature]) => signature.every((b, i) => bytes[i] === b))?.[0] ?? null;
}

/** Each required material of an application and how it stands (fixed from acceptance on: nothing is attached after it). */
export function materialStatuses(app: Application, catalogue: Catalogue): ApplicationMaterial[] {
  const industry = catalogue.industry(app.doc.industryCode)!;
  const items = applicableItems(catalogue, industry, app.doc.answers);
  return requiredMaterials(items, app.doc.commitments ?? []).map((m) => {
    const attached = app.materials.get(m.code);
    return {
      code: m.code,
      nameZh: m.nameZh,
      nameEn: m.nameEn,
      itemCodes: m.itemCodes,
      status: attached ? (attached.source === 'HELD' ? 'HELD' : 'PROVIDED') : m.omittedByCommitment ? 'COMMITTED' : 'MISSING',
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
          const file = input.file!;
          const bytes = Buffer.from(file.contentBase64, 'base64');
          const problems = [];
          if (bytes.length === 0 || bytes.length > MAX_MATERIAL_BYTES) {
            problems.push({ path: 'input.file.contentBase64', code: 'TOO_LARGE', messageZh: `文件须在 1 字节至 5 MiB 之间（实际 ${bytes.length} 字节）`, messageEn: `A file must be 1 byte to 5 MiB (this one is ${bytes.length} bytes)` });
          }
          const sniffed = sniffMediaType(bytes);
          if (!(file.mediaType in SIGNATURES)) {
            problems.push({ path: 'input.file.mediaType', code: 'INVALID_MEDIA_TYPE', messageZh: '只接受 PDF、JPEG、PNG 文件', messageEn: 'Only PDF, JPEG and PNG files are accepted' });
          } else if (sniffed !== file.mediaType) {
            problems.push({ path: 'input.file.contentBase64', code: 'CONTENT_MISMATCH', messageZh: `文件内容不是声明的 ${file.mediaType}`, messageEn: `The file's content is not the declared ${file.mediaType}` });
          }
          if (!file.name.trim() || file.name.length > 255) {
            problems.push({ path: 'input.file.name', code: 'INVALID_TYPE', messageZh: '文件名须为 1 至 255 个字符', messageEn: 'The file name must be 1 to 255 characters' });
          }
          if (problems.length) throw invalidInput(problems);
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          // Stored once per content, whoever sends it how often; the business may reference it later.
          await insertOnce(store.files, { _id: sha256, data: bytes, size: bytes.length, mediaType: sniffed! });
          await insertOnce(store.uploads, { _id: `${app.doc.creditCode}:${sha256}`, creditCode: app.doc.creditCode, sha256, materialCode: input.materialCode, name: file.name.trim(), size: bytes.length, mediaType: sniffed!, at: new Date() });
          material = { ...base, source: 'UPLOAD', sha256, reference: null, size: bytes.length, mediaType: sniffed, name: file.name.trim() };
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
