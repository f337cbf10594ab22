import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * Error codes every client can switch on. Messages are always bilingual: a clerk
 * reads the Chinese, an integrator the English; both are also in `extensions`.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'WRONG_STATE'
  | 'CONFLICT'
  | 'NOT_READY'
  | 'UNAVAILABLE'
  | 'IDEMPOTENCY_KEY_REUSED';

export interface FieldProblem {
  /** Dotted path of the offending input, e.g. `input.values.floorArea`. */
  path: string;
  code: string;
  messageZh: string;
  messageEn: string;
}

export function platformError(
  code: ErrorCode,
  messageZh: string,
  messageEn: string,
  options: { field?: string; problems?: FieldProblem[] } = {},
): GraphQLError {
  return new GraphQLError(`${messageZh} / ${messageEn}`, {
    extensions: {
      code,
      messageZh,
      messageEn,
      ...(options.field ? { field: options.field } : {}),
      ...(options.problems ? { problems: options.problems } : {}),
    },
  });
}

/** Adds a problem when `value`, trimmed, is not `min`–`max` characters long; `zh` and `en` name the field. */
export function checkLength(problems: FieldProblem[], path: string, value: string, min: number, max: number, zh: string, en: string): void {
  const n = [...value.trim()].length;
  if (n < min || n > max) problems.push({ path, code: n < min ? 'TOO_SHORT' : 'TOO_LONG', messageZh: `${zh}应为 ${min}–${max} 字`, messageEn: `${en} must be ${min}–${max} characters` });
}

/** At most this many problems travel in one error (with their total): a huge bad input gets a small answer. */
export const MAX_PROBLEMS = 20;

/** Bad input: one error carrying every field problem (up to MAX_PROBLEMS), so a form can mark them all at once. */
export function invalidInput(problems: FieldProblem[]): GraphQLError {
  const first = problems[0];
  const more = problems.length > 1 ? `（共 ${problems.length} 处）` : '';
  const moreEn = problems.length > 1 ? ` (${problems.length} problems)` : '';
  const error = platformError('BAD_USER_INPUT', `${first.messageZh}${more}`, `${first.messageEn}${moreEn}`, {
    field: first.path,
    problems: problems.slice(0, MAX_PROBLEMS),
  });
  if (problems.length > MAX_PROBLEMS) Object.assign(error.extensions, { problemCount: problems.length });
  return error;
}

export const notFound = (what: { zh: string; en: string }, field: string, id: string) =>
  platformError('NOT_FOUND', `${what.zh}不存在：${id}`, `No such ${what.en}: ${id}`, { field });

/** The database did not answer in time (down, or too slow): nothing the request meant to write was written. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  return /^Mongo(ServerSelection|Network|NetworkTimeout|OperationTimeout|TopologyClosed|NotConnected)Error$/.test(name);
}

/** Production errors keep code and message; stack traces stay in the log. */
export function formatError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  if (isDatabaseUnavailable((error as { originalError?: unknown } | undefined)?.originalError)) {
    const messageZh = '数据库暂时不可用，本次操作未执行，请稍后重试';
    const messageEn = 'The database is unavailable; nothing was written. Try again shortly';
    return { message: `${messageZh} / ${messageEn}`, path: formatted.path, extensions: { code: 'UNAVAILABLE', messageZh, messageEn } };
  }
  const { extensions, ...rest } = formatted;
  const message = clip(rest.message);
  if (!extensions) return { ...rest, message };
  const { stacktrace: _stacktrace, ...kept } = extensions as Record<string, unknown>;
  // Messages may quote what the caller sent: clipped, so a huge input gets a small answer.
  for (const key of ['messageZh', 'messageEn', 'field']) if (typeof kept[key] === 'string') kept[key] = clip(kept[key] as string);
  if (Array.isArray(kept.problems)) {
    kept.problems = (kept.problems as Record<string, unknown>[]).map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'string' ? clip(v) : v])));
  }
  return { ...rest, message, extensions: kept };
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
