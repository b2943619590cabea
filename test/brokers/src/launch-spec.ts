/** How to run one broker process and how to tell it is ready. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** A line the broker logs once it accepts clients (after it, the client port must accept a connection). */
  readonly readyLine: string;
  /** The client port. */
  readonly port: number;
}
