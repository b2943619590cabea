import { ensureBroker } from './binaries.ts';

/**
 * vitest globalSetup of the integration project: fetches Kafka and builds nats-server once (minutes when cold)
 * before any test file starts, so parallel files do not race the build or count it against their hook timeouts.
 */
export default async function setup(): Promise<void> {
  await Promise.all([ensureBroker('kafka'), ensureBroker('nats')]);
}
