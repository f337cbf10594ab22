import http from 'node:http';
import { randomUUID } from 'node:crypto';

/**
 * A stand-in for the public security population registry's identity check
 * (人口信息库身份核验), as a real HTTP server: `POST /verifications` with
 * `{ name, idNumber }` and a bearer token answers whether the name goes with
 * the ID number, with a reference for the check. Tests register the people it
 * knows, and can take it down.
 */
export interface FakePopulationRegistry {
  url: string;
  token: string;
  /** A person the registry knows. */
  register(name: string, idNumber: string): void;
  /** Every check asked, in order. */
  checks: { name: string; idNumber: string; match: boolean }[];
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startFakePopulationRegistry(token = 'test-population-registry-token'): Promise<FakePopulationRegistry> {
  const people = new Map<string, string>();
  const checks: FakePopulationRegistry['checks'] = [];
  let down = false;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      if (down) return void res.writeHead(503).end();
      if (req.method !== 'POST' || req.url !== '/verifications') return void res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
      const { name, idNumber } = JSON.parse(raw) as { name: string; idNumber: string };
      const match = people.get(idNumber) === name;
      checks.push({ name, idNumber, match });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(match ? { match, reference: `RK-${randomUUID()}` } : { match }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    token,
    register: (name, idNumber) => void people.set(idNumber, name),
    checks,
    setDown: (value) => {
      down = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
