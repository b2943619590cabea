/**
 * The daemon's signals: SIGTERM and SIGINT stop it gracefully, the second one of either at once (an operator
 * pressing Ctrl-C twice, or a kubelet that lost patience); SIGHUP reloads the config.
 */

/** Handlers of {@link handleSignals}. */
export interface SignalHandlers {
  /** First SIGTERM/SIGINT: shut down gracefully. */
  readonly stop: (signal: NodeJS.Signals) => void;
  /** Any later SIGTERM/SIGINT: exit now. */
  readonly force: (signal: NodeJS.Signals) => void;
  /** SIGHUP. */
  readonly reload: () => void;
}

/** Installs the handlers on `target` (default `process`); returns a function that removes them. */
export function handleSignals(handlers: SignalHandlers, target: NodeJS.EventEmitter = process): () => void {
  let stopping = false;
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      handlers.force(signal);
      return;
    }
    stopping = true;
    handlers.stop(signal);
  };
  const onHup = (): void => handlers.reload();
  target.on('SIGTERM', onStop);
  target.on('SIGINT', onStop);
  target.on('SIGHUP', onHup);
  return () => {
    target.off('SIGTERM', onStop);
    target.off('SIGINT', onStop);
    target.off('SIGHUP', onHup);
  };
}
