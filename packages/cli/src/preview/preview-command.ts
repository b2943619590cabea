/**
 * `watch-proxy preview -c config.yaml [--objects file.yaml]`: what each endpoint would be sent by this config,
 * computed by the real pipeline over one list of each resource from the cluster (or over sample objects), and which
 * rule keeps each other object out. Sends nothing, writes no state. Exit 0, 1 (cluster unreachable), 2 (bad input).
 */
import { formatDiagnostic, loadConfigFile } from '../config/index.js';
import type { ConfigEnv } from '../config/index.js';
import type { TextSink } from '../config/validate-command.js';
import { describeError } from '../describe-error.js';
import { loadKubeConfig } from '../kube-config.js';
import { createLogger } from '../logger.js';
import { UsageError } from '../usage-error.js';
import { previewJson, previewText } from './format-preview.js';
import { previewConfig, PreviewTimeoutError } from './preview-pipeline.js';
import type { PreviewSource } from './preview-pipeline.js';
import { readSampleObjects, SampleObjectsError } from './sample-objects.js';
import { sampleSource } from './sample-source.js';

/** Options of {@link runPreview}: the parsed flags. */
export interface PreviewCommandOptions {
  readonly config: string;
  /** `--objects`: sample objects instead of the cluster. */
  readonly objects?: string | undefined;
  readonly kubeconfig?: string | undefined;
  /** `--json`: one JSON document instead of lines. Default false. */
  readonly json?: boolean | undefined;
  /** `--strict`: unknown config keys are errors. */
  readonly strict?: boolean | undefined;
  /** How long listing may take, ms. Default 60000. */
  readonly timeoutMs?: number | undefined;
  readonly env?: ConfigEnv | undefined;
  readonly stdout: TextSink;
  readonly stderr: TextSink & { readonly isTTY?: boolean };
}

/** Runs the preview and resolves to the exit code. */
export async function runPreview(o: PreviewCommandOptions): Promise<number> {
  const env = o.env ?? process.env;
  // Credentials are not needed: nothing is sent.
  const loaded = await loadConfigFile(o.config, { strict: o.strict ?? false, env, checkEnvironment: false });
  const diagnostics = [...(loaded.ok ? [] : loaded.errors), ...loaded.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
  for (const diagnostic of diagnostics) o.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  if (!loaded.ok) {
    o.stderr.write(`${o.config}: invalid (${String(loaded.errors.length)} error(s)); nothing previewed\n`);
    return 2;
  }
  const config = loaded.config;
  if (config.resources.length === 0) {
    o.stderr.write(`${o.config}: lists no resources: nothing to preview\n`);
    return 2;
  }
  let source: PreviewSource;
  try {
    if (o.objects !== undefined) {
      const samples = await readSampleObjects(o.objects, config.resources.map((r) => r.name));
      for (const object of samples.unwatched) o.stderr.write(`${o.objects}: ${object}: no configured resource watches it, ignored\n`);
      source = { kind: 'samples', factory: () => sampleSource(samples.groups) };
    } else {
      source = { kind: 'cluster', kubeConfig: loadKubeConfig(o.kubeconfig, env as NodeJS.ProcessEnv).kubeConfig };
    }
  } catch (error) {
    if (!(error instanceof SampleObjectsError) && !(error instanceof UsageError)) throw error;
    o.stderr.write(`watch-proxy preview: ${error.message}\n`);
    return 2;
  }
  // Warnings (a rule failing on an object, a resource that cannot be listed) go to stderr for people.
  const logger = createLogger({ level: 'warn', format: 'pretty', stream: process.stderr });
  try {
    const report = await previewConfig({ config, source, logger, timeoutMs: o.timeoutMs ?? 60_000 });
    const transforms = new Set(config.remoteEndpoints.filter((e) => e.transform !== undefined).map((e) => e.name));
    o.stdout.write(o.json === true ? previewJson(report) : previewText(report, { showData: (name) => transforms.has(name) }));
    return 0;
  } catch (error) {
    o.stderr.write(`watch-proxy preview: ${error instanceof PreviewTimeoutError ? error.message : describeError(error)}\n`);
    return 1;
  }
}
