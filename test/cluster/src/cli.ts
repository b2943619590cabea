// `pnpm cluster <command> <dir>`: start, stop and poke the test cluster from a shell.
import { rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ensureBinaries, ensureHelm } from './binaries.ts';
import { attachCluster, startCluster } from './cluster.ts';

const usage = `usage: pnpm cluster <command> [dir]

  build                  build (or find cached) kube-apiserver, etcd and kubectl; print their folder
  build-helm             build (or find cached) helm v4 from the Go module proxy; print its path
  up <dir>               start etcd + kube-apiserver on free loopback ports; write <dir>/kubeconfig, <dir>/bin/
                         (kubectl, and helm)
  down <dir>             stop both and remove their data
  restart <dir>          kill and restart the apiserver (same port, certs, tokens)
  stop-apiserver <dir>   kill the apiserver          start-apiserver <dir>   start it again
  freeze <dir>           SIGSTOP the apiserver       thaw <dir>              SIGCONT it
  compact <dir>          compact etcd to its current revision (print it)
  token <dir> <namespace> <serviceaccount> <clusterrole>
                         mint a token bound to an existing ClusterRole; print the kubeconfig path`;

async function run(argv: readonly string[]): Promise<number> {
  const [command, dirArg, ...rest] = argv;
  if (command === 'build') {
    console.log((await ensureBinaries()).dir);
    return 0;
  }
  if (command === 'build-helm') {
    console.log(await ensureHelm());
    return 0;
  }
  if (command === undefined || dirArg === undefined) {
    console.error(usage);
    return 2;
  }
  const dir = resolve(dirArg);
  switch (command) {
    case 'up': {
      const [cluster, helm] = await Promise.all([startCluster({ dir, outlive: true }), ensureHelm()]);
      const helmLink = join(cluster.binDir, 'helm');
      rmSync(helmLink, { force: true });
      symlinkSync(helm, helmLink);
      console.log(`cluster up: ${cluster.server}\n  kubeconfig: ${cluster.kubeconfigPath}\n  kubectl:    ${cluster.binDir}/kubectl\n  helm:       ${helmLink}`);
      return 0;
    }
    case 'down':
      await attachCluster(dir).stop();
      console.log('cluster down');
      return 0;
    case 'restart':
      await attachCluster(dir).restartApiserver();
      return 0;
    case 'stop-apiserver':
      await attachCluster(dir).stopApiserver();
      return 0;
    case 'start-apiserver':
      await attachCluster(dir).startApiserver();
      return 0;
    case 'freeze':
      attachCluster(dir).freezeApiserver();
      return 0;
    case 'thaw':
      attachCluster(dir).thawApiserver();
      return 0;
    case 'compact':
      console.log(await attachCluster(dir).compactEtcd());
      return 0;
    case 'token': {
      const [namespace, serviceAccount, clusterRole] = rest;
      if (namespace === undefined || serviceAccount === undefined || clusterRole === undefined) break;
      const minted = await attachCluster(dir).mintToken({ namespace, serviceAccount, clusterRole });
      console.log(minted.kubeconfigPath);
      return 0;
    }
  }
  console.error(usage);
  return 2;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
