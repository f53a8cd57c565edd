import { createServer } from 'node:net';

/** Ports handed out by this process: the kernel may offer a closed one again before its user binds it. */
const handedOut = new Set<number>();

/** A loopback port nobody listens on right now and not handed out before (a child binds it a moment later). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}
