/** `value` if it is an `Error`, else an `Error` whose message is `String(value)`: for what a `catch` or rejection hands over. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
