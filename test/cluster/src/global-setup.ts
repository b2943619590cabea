import { ensureBinaries } from './binaries.ts';

/**
 * vitest globalSetup of the integration project: builds the binaries once (minutes when cold) before any
 * test file starts, so parallel files do not race the build or count it against their hook timeouts.
 */
export default async function setup(): Promise<void> {
  await ensureBinaries();
}
