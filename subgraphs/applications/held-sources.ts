import { createHash } from 'node:crypto';
import { request } from 'undici';
import { platformError } from '../../shared/errors';
import { applicationsConfig } from './config';
import type { Material } from './application';

/**
 * Materials the government already holds (政府部门已有，无需提交): a material
 * in the catalogue may name the source holding it (`heldBy`), and the
 * applications service fetches it from there at acceptance instead of asking
 * the applicant, through one connector per source (its URL and token in
 * HELD_SOURCES). A deployment that has not connected a source asks for the
 * material as before. What was fetched, from where and when is part of the
 * application's file (the ACCEPTED step), with the SHA-256 of the record the
 * source returned.
 */
export interface HeldSource {
  nameZh: string;
  nameEn: string;
  /** Form values the connector sends to find the record; without them the material is asked for. */
  needs: string[];
  /** Finds the record: the record as returned, or null when the source holds none for this business. */
  fetch: (connection: SourceConnection, values: Record<string, string>) => Promise<{ reference: string; record: unknown } | null>;
}

export interface SourceConnection {
  url: string;
  token: string;
}

/** Answers in time or not at all: a source that does not answer within this never holds up the window for long. */
const SOURCE_TIMEOUT_MS = 1500;

async function call(connection: SourceConnection, path: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<{ status: number; body: unknown }> {
  const response = await request(`${connection.url.replace(/\/$/, '')}${path}`, {
    method: init.method,
    headers: { authorization: `Bearer ${connection.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
    headersTimeout: SOURCE_TIMEOUT_MS,
    bodyTimeout: SOURCE_TIMEOUT_MS,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as unknown) : null };
}

export const HELD_SOURCES: Record<string, HeldSource> = {
  elicence: {
    nameZh: '北京市电子证照库',
    nameEn: 'the Beijing e-licence library',
    needs: ['creditCode'],
    // 证照调取: the business licence by its holder's credit code.
    fetch: async (connection, values) => {
      const { status, body } = await call(connection, `/licences?holderCode=${encodeURIComponent(values.creditCode)}&licenceType=business-licence`, { method: 'GET' });
      if (status === 404) return null;
      if (status !== 200) throw new Error(`the e-licence library answered ${status}`);
      const record = body as { identifier?: string; holderCode?: string };
      if (!record.identifier || record.holderCode !== values.creditCode) return null;
      return { reference: record.identifier, record };
    },
  },
  population: {
    nameZh: '公安人口信息库',
    nameEn: 'the public security population registry',
    needs: ['legalRepresentative', 'legalRepresentativeIdNumber'],
    // 身份核验: the legal representative's name against the ID number, instead of a copy of the ID card.
    fetch: async (connection, values) => {
      const { status, body } = await call(connection, '/verifications', { method: 'POST', body: { name: values.legalRepresentative, idNumber: values.legalRepresentativeIdNumber } });
      if (status !== 200) throw new Error(`the population registry answered ${status}`);
      const record = body as { match?: boolean; reference?: string };
      return record.match && record.reference ? { reference: record.reference, record } : null;
    },
  },
};

/** This deployment's connection to the source, if any (HELD_SOURCES). */
function connectionTo(source: string): SourceConnection | undefined {
  return (applicationsConfig().HELD_SOURCES as Record<string, SourceConnection | undefined> | undefined)?.[source];
}

/** Whether this deployment fetches from the source. */
export function connected(source: string): boolean {
  return Boolean(connectionTo(source));
}

/** The source's view for GraphQL: who holds it, and whether this deployment fetches it. */
export function heldSourceView(source: string) {
  const s = HELD_SOURCES[source];
  return { code: source, nameZh: s.nameZh, nameEn: s.nameEn, connected: connected(source) };
}

/** The values a source needs, when the form gave them all. */
export function valuesFor(source: string, value: (key: string) => unknown): Record<string, string> | null {
  const entries = HELD_SOURCES[source].needs.map((key) => [key, value(key)] as const);
  return entries.every(([, v]) => typeof v === 'string' && v.trim()) ? Object.fromEntries(entries as [string, string][]) : null;
}

/**
 * Fetches one held material for the window's acceptance. A source holding no
 * record refuses the acceptance for that material (the applicant provides it
 * instead, after a supplement notice); a source that does not answer refuses
 * it as unavailable, and nothing is written.
 */
export async function fetchHeld(source: string, materialCode: string, values: Record<string, string>, by: string): Promise<Material | { notHeld: true }> {
  const connection = connectionTo(source);
  const s = HELD_SOURCES[source];
  if (!connection) throw new Error(`${source} is not connected`);
  let found;
  try {
    found = await s.fetch(connection, values);
  } catch {
    throw platformError('UNAVAILABLE', `${s.nameZh}暂时无法访问，未受理，请稍后重试`, `${s.nameEn} did not answer; nothing was accepted. Try again shortly`, { field: `materials.${materialCode}` });
  }
  if (!found) return { notHeld: true };
  const bytes = Buffer.from(JSON.stringify(found.record));
  return {
    materialCode,
    source: 'FETCHED',
    fetchedFrom: source,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    reference: `${source}:${found.reference}`,
    size: bytes.length,
    mediaType: 'application/json',
    name: `${s.nameZh}调取`,
    attachedAt: new Date(),
    attachedBy: by,
  };
}
