/** A watch source that lists the sample objects of `preview --objects` once, as a watcher's first list would. */
import type { WatchHandlers, WatchSource } from '@watch-proxy/core/watch';

import type { SampleGroup } from './sample-objects.js';

/** Hands every group's objects to the pipeline as adds, then the complete list; watches nothing after. */
export function sampleSource(groups: readonly SampleGroup[]): WatchSource {
  return {
    async start(handlers: WatchHandlers): Promise<void> {
      for (const { resource, objects } of groups) {
        for (const object of objects) handlers.onEvent(resource, { type: 'add', object });
        handlers.onSynced?.(resource, objects);
      }
    },
    async stop(): Promise<void> {},
  };
}
