/** The two renderings of a preview: lines for people, one JSON document for programs (`--json`). */
import type { PreviewReport } from './preview-pipeline.js';

/** The report as JSON text (one document, newline-terminated). */
export function previewJson(report: PreviewReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** `services|default/a` as `services default/a`. */
function objectName(key: string): string {
  const bar = key.indexOf('|');
  return `${key.slice(0, bar)} ${key.slice(bar + 1)}`;
}

/**
 * The report for people: per endpoint, each object it would be sent (`+`, with the data when `showData`, as
 * compact JSON) and each it would not (`-`, with the reason and the rule that decided).
 */
export function previewText(report: PreviewReport, options: { readonly showData: (endpoint: string) => boolean }): string {
  const lines: string[] = [];
  const listed = Object.entries(report.listed).map(([resource, n]) => `${resource}: ${String(n)}`);
  lines.push(`listed ${listed.join(', ')}`);
  for (const problem of report.problems) lines.push(`! ${problem.resource} could not be listed: ${problem.error}`);
  for (const endpoint of report.endpoints) {
    lines.push('', `endpoint ${endpoint.name}: ${String(endpoint.sent.length)} sent, ${String(endpoint.dropped.length)} not sent`);
    const show = options.showData(endpoint.name);
    for (const item of endpoint.sent) lines.push(`  + ${objectName(item.key)}${show ? `  ${JSON.stringify(item.data)}` : ''}`);
    for (const item of endpoint.dropped) {
      const why = item.rule !== undefined ? `${item.rule}: ${item.detail ?? item.reason}` : item.detail !== undefined && item.detail !== '' ? `${item.reason} (${item.detail})` : item.reason;
      lines.push(`  - ${objectName(item.key)}  ${why}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
