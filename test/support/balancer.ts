import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer in front of a service's replicas, as a cluster's
 * service address (kube-proxy, compose's DNS) would be: each new connection
 * goes to the next replica in turn, and to the one after it when that one
 * refuses (it is down). A connection to a replica that dies is cut, as it
 * would be in a cluster; the client sees the failure and tries again.
 */
export interface Balancer {
  port: number;
  close: () => Promise<void>;
}

export async function startBalancer(port: number, backends: number[]): Promise<Balancer> {
  let next = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.pause();
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    const attempt = (tried: number) => {
      if (tried >= backends.length || client.destroyed) {
        client.destroy();
        return;
      }
      const backendPort = backends[next++ % backends.length];
      const upstream = connect(backendPort, '127.0.0.1');
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        open.add(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.on('close', () => {
          open.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
      });
      upstream.on('error', () => {
        if (connected) client.destroy();
        else attempt(tried + 1);
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
