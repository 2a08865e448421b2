import net from 'node:net';

/**
 * True when something on host:port answers a Postgres SSLRequest with 'N' or 'S', the cheapest
 * exchange that proves a Postgres server (not just any listener) is there. Never throws.
 */
export function probePostgres(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      // Int32 length 8, Int32 SSLRequest code 80877103.
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4);
      socket.write(request);
    });
    socket.once('data', (data) => finish(data[0] === 0x4e || data[0] === 0x53));
  });
}

/** True when we can bind host:port right now (a hint only: someone may take it a moment later). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
