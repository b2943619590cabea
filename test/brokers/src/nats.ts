import { join } from 'node:path';

import type { LaunchSpec } from './launch-spec.ts';

/** nats-server with JetStream on 127.0.0.1, its store in `dir/jetstream` (kept across restarts). */
export function natsLaunch(home: string, dir: string, ports: readonly number[]): Promise<LaunchSpec> {
  const [client] = ports;
  return Promise.resolve({
    command: `${home}/bin/nats-server`,
    args: ['-js', '-a', '127.0.0.1', '-p', String(client), '-sd', join(dir, 'jetstream'), '-n', 'watch-proxy-test'],
    readyLine: 'Server is ready',
    port: client!,
  });
}

/** How a NATS test server is reached: `nats://127.0.0.1:<port>`. */
export function natsAddress(port: number): string {
  return `nats://127.0.0.1:${port}`;
}
