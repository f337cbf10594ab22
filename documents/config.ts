import { z } from 'zod';
import { defineConfig, port, secret, serviceShape, url } from '../shared/config';

/**
 * The documents service's settings (shared/config.ts explains the pattern):
 * where the gateway is (it is a client like any other), optionally a CJK font
 * for PDF certificates instead of the bundled Noto Serif SC, and the bureau's
 * electronic seal (documents/seal.ts).
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
  // 电子印章: the bureau's certificate and key (PKCS#12, base64) and its passphrase; without them a development seal is generated into SEAL_DEV_FILE.
  SEAL_P12_BASE64: secret('the bureau seal (PKCS#12, base64)', 64).optional(),
  SEAL_P12_PASSPHRASE: z.string().optional(),
  SEAL_DEV_FILE: z.string().default('.data/dev-seal.json'),
});
