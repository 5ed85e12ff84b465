import { ExitCode } from '../support/exit-codes.js';
import { hubRequest, type HubTarget } from './hub-client.js';

/** How often a running `forward` command checks that the hub still holds its forward. */
const FORWARD_WATCH_MS = 2000;

export interface HeldForward {
  id: string;
  /** DELETE this to close it. */
  closePath: string;
  /** GET this: `{ forwards: [{ id }] }`, the forwards the hub holds of the same owner. */
  listPath: string;
  /** A refusal of the list that means the owner is gone (its forwards with it). */
  gone: RegExp;
}

/**
 * Keep a forward open until Ctrl-C (or SIGTERM), then close it; or until the hub ends it
 * (its node or workspace went, the hub stopped), which is said and is exit code FAILED.
 * `node forward` and `workspace forward` both hold their forward this way.
 */
export function holdForward(target: HubTarget, f: HeldForward): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false;
    const end = (message: string | undefined, failed: boolean): void => {
      if (message) process.stderr.write(message);
      if (failed) process.exitCode = ExitCode.FAILED;
      done();
    };
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      hubRequest(target, 'DELETE', f.closePath).then(
        () => end(`closed ${f.id}\n`, false),
        (err: unknown) =>
          end(`switchboard: could not close ${f.id}: ${(err as Error).message}\n`, true),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const watch = setInterval(() => {
      hubRequest<{ forwards: { id: string }[] }>(target, 'GET', f.listPath).then(
        ({ forwards }) => {
          if (stopping || forwards.some((x) => x.id === f.id)) return;
          stopping = true;
          clearInterval(watch);
          end(`switchboard: the hub closed ${f.id}\n`, true);
        },
        (err: unknown) => {
          // The owner gone (and its forwards with it); a hub that does not answer may be
          // back: keep watching.
          if (stopping || !f.gone.test((err as Error).message)) return;
          stopping = true;
          clearInterval(watch);
          end(`switchboard: ${(err as Error).message}\n`, true);
        },
      );
    }, FORWARD_WATCH_MS);
  });
}
