import type { GraphQLResponse } from './client';

/**
 * Asserts a clear, structured refusal: a code, a field path where one applies,
 * and a message in Chinese and in English. Returns the error for more checks.
 */
export function expectRefusal(result: GraphQLResponse<unknown>, code: string, field?: string) {
  expect(result.errors).toBeDefined();
  const error = result.errors![0];
  expect(error.extensions?.code).toBe(code);
  expect(String(error.extensions?.messageZh)).toMatch(/[\u4e00-\u9fff]/);
  expect(String(error.extensions?.messageEn)).toMatch(/[A-Za-z]{3}/);
  if (field !== undefined) expect(error.extensions?.field).toBe(field);
  return error;
}

export function problemsOf(result: GraphQLResponse<unknown>) {
  return (result.errors?.[0]?.extensions?.problems ?? []) as { path: string; code: string; messageZh: string; messageEn: string }[];
}
