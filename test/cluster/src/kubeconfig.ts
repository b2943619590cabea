import { writeFileSync } from 'node:fs';

/** Writes a kubeconfig for `server` that authenticates with a bearer `token`. */
export function writeKubeconfigFile(path: string, server: string, caFile: string, user: string, token: string): void {
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    `    user: ${user}`,
    'current-context: test',
    '',
  ];
  writeFileSync(path, lines.join('\n'), { mode: 0o600 });
}
