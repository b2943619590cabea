import type { Change } from '@watch-proxy/core';

/** How much of a receiver's error answer may reach messages and logs, in characters. */
export const EXCERPT_CHARS = 200;
/** Sent string values shorter than this are not looked for in an answer (they match too much to mean an echo). */
export const ECHO_MIN_CHARS = 4;
/** A longer sent value is looked for by its start: enough to recognise it, and found even when the answer is cut. */
const ECHO_PROBE_CHARS = 64;
/** What replaces an answer that repeats sent data. */
export const WITHHELD = '[answer withheld: it repeats values that were sent]';

// Controls (C0, DEL, C1), format characters (direction overrides, zero-width ones) and the Unicode line and
// paragraph separators: what can forge or hide log lines.
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

/**
 * What of a receiver's error answer may be shown (in the error message, hence in logs): nothing when the answer
 * repeats any sent string value of at least {@link ECHO_MIN_CHARS} characters (as is, or JSON-escaped; the
 * objects' name, namespace, uid, uniqueId and resourceVersion excepted, which logs show anyway), as a
 * receiver that echoes the request would echo object data (ConfigMap values, Secret values with
 * `includeSecretData`); otherwise its first {@link EXCERPT_CHARS} characters, control characters replaced by a
 * space. `captured` is the start of the answer as read (1 KiB); it is searched whole, so a value cut off at the
 * end of the excerpt is still recognised.
 */
export function answerExcerpt(captured: string, items: readonly Change[]): string {
  if (captured === '') return '';
  if (repeatsSentValue(captured, items)) return WITHHELD;
  const clean = captured.replace(CONTROL, ' ').trim();
  return clean.length <= EXCERPT_CHARS ? clean : `${clean.slice(0, EXCERPT_CHARS)}…`;
}

function repeatsSentValue(answer: string, items: readonly Change[]): boolean {
  const found = (value: string): boolean => {
    if (value.length < ECHO_MIN_CHARS) return false;
    const probe = value.slice(0, ECHO_PROBE_CHARS);
    if (answer.includes(probe)) return true;
    const escaped = JSON.stringify(value).slice(1, -1).slice(0, ECHO_PROBE_CHARS);
    return escaped !== probe && answer.includes(escaped);
  };
  // The objects' identities are in logs anyway (keys name objects): an answer naming the object it refuses is
  // worth showing.
  const identities = new Set<string>();
  for (const item of items) {
    const metadata = item.object['metadata'];
    const resourceVersion = metadata !== null && typeof metadata === 'object' ? (metadata as Record<string, unknown>)['resourceVersion'] : undefined;
    identities.add(item.name).add(item.namespace).add(item.uid).add(item.uniqueId);
    if (typeof resourceVersion === 'string') identities.add(resourceVersion);
  }
  // Iterative: objects may be nested thousands of levels deep.
  const stack: unknown[] = items.map((item) => item.object);
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (!identities.has(value) && found(value)) return true;
    } else if (Array.isArray(value)) {
      for (const element of value) stack.push(element);
    } else if (value !== null && typeof value === 'object') {
      for (const element of Object.values(value)) stack.push(element);
    }
  }
  return false;
}
