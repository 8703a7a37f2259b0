/** Serves an express app on a host and port (port 0 = any free port) and closes it cleanly. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type express from "express";

export interface RunningServer {
  /** e.g. `http://127.0.0.1:4321` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(app: express.Express, options: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
