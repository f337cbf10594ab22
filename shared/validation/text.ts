/**
 * Text as people type it, made safe to store and print: NFC-normalised (the
 * same name always has the same bytes), and without control characters (Cc,
 * but tab and line breaks) or format characters (Cf: zero-width spaces, BiDi
 * overrides, the byte-order mark), which can hide or reorder what a permit's
 * face shows. Applied at the gateway to every string of every operation, and to what
 * the city platform hands over (which does not pass the gateway).
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}]/u;
const ALLOWED_CONTROLS = new Set(['\t', '\n', '\r']);

export type CleanText = { ok: true; value: string } | { ok: false; messageZh: string; messageEn: string };

export function cleanText(text: string): CleanText {
  for (const char of text) {
    if (FORBIDDEN.test(char) && !ALLOWED_CONTROLS.has(char)) {
      const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      return { ok: false, messageZh: `文本含有不可见的控制或格式字符（${code}），请删除后重试`, messageEn: `The text holds an invisible control or format character (${code}); remove it and try again` };
    }
  }
  return { ok: true, value: text.normalize('NFC') };
}

/** Cleans every string in a JSON value, collecting what it refuses with its path. */
export function cleanTree<T>(value: T, path: string, problems: { path: string; code: string; messageZh: string; messageEn: string }[]): T {
  if (typeof value === 'string') {
    const result = cleanText(value);
    if (!result.ok) {
      problems.push({ path, code: 'FORBIDDEN_CHARACTER', messageZh: result.messageZh, messageEn: result.messageEn });
      return value;
    }
    return result.value as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => cleanTree(v, `${path}.${i}`, problems)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, cleanTree(v, `${path}.${k}`, problems)])) as T;
  }
  return value;
}
