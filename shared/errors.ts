import { GraphQLError } from 'graphql';

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
