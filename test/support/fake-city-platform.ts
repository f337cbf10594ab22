import http from 'node:http';
import { createRemoteJWKSet, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { generateSigningKey, publicJwk } from '../../shared/keys';

/**
 * A stand-in for 北京市统一申办受理平台（京通）, the city's unified intake, as a
 * real HTTP server: it holds its own signing key and hands applications over
 * to the applications service (`POST /city/applications`), and it takes the
 * status callbacks (`POST /callbacks`), checking each against the key the
 * applications service publishes (`GET /city/keys`). It can be taken down to
 * test that no callback is lost.
 */
export interface ReceivedCallback {
  key: string;
  callback: { referenceNumber: string; applicationId: string; applicationNumber: string; sequence: number; status: string; titleZh: string; at: string };
}

export interface HandOverResult {
  status: number;
  body: Record<string, unknown>;
}

export interface FakeCityPlatform {
  /** Where the applications service sends callbacks (CITY_CALLBACK_URL). */
  callbackUrl: string;
  issuer: string;
  /** The city's public keys (CITY_PLATFORM_KEYS). */
  publicKeys: string;
  /** Callbacks whose signature checked, once per idempotency key, in arrival order. */
  callbacks: ReceivedCallback[];
  /** Callbacks refused for their signature. */
  forged: number;
  /** Every callback request, repeats, refusals and those while down included. */
  requests: number;
  /** Where the applications service listens: set once it is started. */
  connect(applicationsUrl: string): void;
  /** Signs a hand-over with the city's key (or `options.signWith`, someone else's) and posts it. */
  handOver(handOver: Record<string, unknown>, options?: { signWith?: JWK; issuer?: string; audience?: string; tamper?: (token: string) => string }): Promise<HandOverResult>;
  /** Posts a raw body, for requests that are not even signed. */
  post(body: unknown): Promise<HandOverResult>;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startFakeCityPlatform(issuer = 'beijing-unified-intake'): Promise<FakeCityPlatform> {
  const key = await generateSigningKey('jingtong-test-1');
  const callbacks: ReceivedCallback[] = [];
  const seen = new Set<string>();
  let down = false;
  let requests = 0;
  let forged = 0;
  let applicationsUrl = '';
  let ourKeys: ReturnType<typeof createRemoteJWKSet> | undefined;

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/callbacks') return void res.writeHead(404).end();
      requests++;
      if (down) return void res.writeHead(503).end('down');
      const idempotencyKey = req.headers['idempotency-key'];
      if (typeof idempotencyKey !== 'string' || !idempotencyKey) return void res.writeHead(400).end('Idempotency-Key required');
      try {
        const token = (JSON.parse(raw) as { token: string }).token;
        const { payload } = await jwtVerify(token, ourKeys!, { issuer: 'yiye-applications', audience: issuer, algorithms: ['EdDSA'] });
        if (payload.jti !== idempotencyKey) throw new Error('jti is not the idempotency key');
        if (!seen.has(idempotencyKey)) {
          seen.add(idempotencyKey);
          callbacks.push({ key: idempotencyKey, callback: payload.callback as ReceivedCallback['callback'] });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
      } catch {
        forged++;
        res.writeHead(401).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const post = async (body: unknown): Promise<HandOverResult> => {
    const response = await fetch(`${applicationsUrl}/city/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  return {
    callbackUrl: `http://127.0.0.1:${port}/callbacks`,
    issuer,
    publicKeys: JSON.stringify({ keys: [publicJwk(key)] }),
    callbacks,
    get forged() {
      return forged;
    },
    get requests() {
      return requests;
    },
    connect(url) {
      applicationsUrl = url;
      ourKeys = createRemoteJWKSet(new URL(`${url}/city/keys`));
    },
    async handOver(handOver, options = {}) {
      const signer = options.signWith ?? key;
      let token = await new SignJWT({ handOver })
        .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? 'yiye-applications')
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(await importJWK(signer, 'EdDSA'));
      if (options.tamper) token = options.tamper(token);
      return post({ token });
    },
    post,
    setDown: (value) => {
      down = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
