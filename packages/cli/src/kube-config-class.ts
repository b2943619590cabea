import { createRequire } from 'node:module';
import type * as ClientNode from '@kubernetes/client-node';

const requireModule = createRequire(import.meta.url);
let kubeConfigClass: typeof ClientNode.KubeConfig | undefined;

/**
 * A new, empty client-node `KubeConfig`. The package is loaded on the first call, synchronously (Node >= 22.12
 * loads an ES module through `require`; client-node has no top-level await): importing it costs ~0.7 s of
 * start-up, which `--help`, `--version`, usage errors and `validate` of a config without `clusters` never need.
 */
export function newKubeConfig(): ClientNode.KubeConfig {
  kubeConfigClass ??= (requireModule('@kubernetes/client-node') as typeof ClientNode).KubeConfig;
  return new kubeConfigClass();
}
