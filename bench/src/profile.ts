/**
 * `--cpu-prof DIR`: every daemon and host process the runner starts writes a V8 CPU profile there (one file per
 * process, named after it), to be summarized with `node bench/src/top-frames.ts FILE`.
 */
let dir: string | undefined;

export function setProfileDir(value: string | undefined): void {
  dir = value;
}

/** Node flags that make a child process write its CPU profile, if profiling was asked for. */
export function profileArgs(kind: 'daemon' | 'host'): string[] {
  if (dir === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${kind}-${Date.now()}-${process.pid}.cpuprofile`];
}
