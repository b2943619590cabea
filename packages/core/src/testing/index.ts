// Test helpers for sink authors and users of core: filled in by the pipeline work (MemorySink,
// describeSinkContract). Kept as an entry point now so the exports map and build are stable.
export {};
