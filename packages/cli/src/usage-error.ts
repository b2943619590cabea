/**
 * Bad input from the operator (a flag, a file, a missing credential source): printed as one line without a
 * stack trace, exit code 2. Anything else that goes wrong is a runtime failure (exit 1).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
