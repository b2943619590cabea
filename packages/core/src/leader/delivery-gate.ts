/**
 * Decides whether this process may deliver right now: what a `WatchProxy` consults so that only one of several
 * replicas sends. A `LeaseElector` is one; tests can implement it by hand.
 */
export interface DeliveryGate {
  /**
   * True while this process may send. Read right before every send attempt and every shared-cache write, so it
   * must be cheap and reflect the clock: a holder whose renew deadline has passed reads `false` even before its
   * timers had a chance to run (a process thawed after SIGSTOP sends nothing). It may read `true` again without
   * a transition (a renewal that succeeded just after the deadline): whoever holds work back because it read
   * `false` must look again after a while, not only on `onChange` (the lanes do every `GATE_RECHECK_MS`, 1 s).
   */
  readonly open: boolean;
  /** Calls `listener` on every transition (`true`: now the holder; `false`: stood down). Returns an unsubscribe. */
  onChange(listener: (open: boolean) => void): () => void;
}
