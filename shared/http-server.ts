import type { Server } from 'node:http';

/**
 * Idle keep-alive connections stay open longer than a client's or a proxy's
 * idle timeout (60 s is common), so a server never closes a connection just as
 * a client reuses it, which the client sees as "other side closed" on a request
 * that may have been a write. Node's default (5 s) loses that race whenever a
 * client pauses a few seconds between requests.
 */
export function keepIdleConnectionsOpen(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
