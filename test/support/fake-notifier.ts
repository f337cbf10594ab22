import http from 'node:http';

/**
 * A stand-in for the SMS gateway / 京通 message service: a real HTTP server
 * that records messages, recognises repeated idempotency keys, and can be
 * taken down to test that nothing is lost.
 */
export interface FakeNotifier {
  url: string;
  token: string;
  /** Messages accepted, once per idempotency key, in arrival order. */
  messages: { key: string; body: Record<string, unknown> }[];
  /** Every accepted request, repeats included. */
  requests: number;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startFakeNotifier(token = 'test-notifier-token'): Promise<FakeNotifier> {
  const messages: FakeNotifier['messages'] = [];
  const seen = new Set<string>();
  let down = false;
  let requests = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      if (down) return void res.writeHead(503).end('down');
      if (req.method !== 'POST' || req.url !== '/messages') return void res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || !key) return void res.writeHead(400).end('Idempotency-Key required');
      requests++;
      if (!seen.has(key)) {
        seen.add(key);
        messages.push({ key, body: JSON.parse(raw) as Record<string, unknown> });
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    token,
    messages,
    get requests() {
      return requests;
    },
    setDown: (value) => {
      down = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
