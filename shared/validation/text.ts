/**
 * Text as people type it, made safe to store and print: NFC-normalised (the
 * same name always has the same bytes), and without control characters (Cc,
 * but tab and line breaks) or format characters (Cf: zero-width spaces, BiDi
 * overrides, the byte-order mark), which can hide or reorder what a permit's
 * face shows. Applied at the gateway to every string of every operation.
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
