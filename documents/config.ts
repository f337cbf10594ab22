import { z } from 'zod';
import { defineConfig, port, serviceShape, url } from '../shared/config';

/**
 * The documents service's settings (shared/config.ts explains the pattern):
 * where the gateway is (it is a client like any other) and, optionally, a CJK
 * font for PDF certificates instead of the bundled Noto Serif SC.
 */
export const documentsConfig = defineConfig('documents', {
  ...serviceShape,
  PORT: port(4080),
  GATEWAY_URL: url('the gateway').default('http://127.0.0.1:4000'),
  GATEWAY_TIMEOUT_MS: z.coerce.number().int().positive().default(8000),
  CJK_FONT_PATH: z.string().optional(),
  CJK_FONT_BOLD_PATH: z.string().optional(),
  CJK_FONT_POSTSCRIPT_NAME: z.string().optional(),
  CJK_FONT_BOLD_POSTSCRIPT_NAME: z.string().optional(),
});
