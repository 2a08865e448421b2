import type { Engine } from './engine.js';
import type { NotificationSink, SessionChannels } from './listen-routing.js';
import type { SessionStatements } from './session-statements.js';
import { dropTempObjectsOf, usesTemp, type TempUser } from './temp-objects.js';
import { SYNC_MESSAGE, type TransactionStatus } from './wire-messages.js';

/**
 * What a client that is gone leaves on its shared engine, given back: its unfinished extended batch is
 * synced, its transaction rolled back, its prepared statements deallocated and its channels unlistened, so
 * the next client starts from a clean engine. Postgres gets this for free when the backend exits.
 */
export interface DepartedSession<S extends NotificationSink & TempUser> {
  session: S;
  pid: number;
  statements: SessionStatements;
  channels: SessionChannels<S>;
  /** The protocol state its last batch left (read when the cleanup runs, not before). */
  state(): { status: TransactionStatus; inExtendedBatch: boolean };
  log(line: string): void;
}

/** Runs once the session's batch in flight (if any) is done, taking the engine in turn if it needs it. */
export function cleanUpAfterClose<S extends NotificationSink & TempUser>(engine: Engine<S>, departed: DepartedSession<S>): void {
  const { session, statements, channels } = departed;
  const scheduler = engine.scheduler;
  // A batch of ours still in the engine decides what is left to clean (its transaction status).
  void scheduler.whenBatchDone(session).then(() => {
    const needsEngine = scheduler.owner === session || statements.used || !channels.isEmpty || usesTemp(session);
    if (!needsEngine) return;
    if (scheduler.take(session)) void cleanUp(engine, departed);
    else void scheduler.acquire(session).then((outcome) => (outcome.granted ? cleanUp(engine, departed) : undefined));
  });
}

async function cleanUp<S extends NotificationSink & TempUser>(engine: Engine<S>, departed: DepartedSession<S>): Promise<void> {
  const { session, statements, channels } = departed;
  try {
    if (!engine.isDead) {
      const { status, inExtendedBatch } = departed.state();
      if (inExtendedBatch) await engine.exec(SYNC_MESSAGE);
      if (status !== 'I' || engine.isInTransaction()) await engine.execQuery('ROLLBACK');
      // By prefix, from the engine's own list, which our list of names may not match in every case (see
      // SessionStatements.used). (After a restart there is nothing of ours left to drop.)
      if (statements.used && statements.isCurrent(engine.generation)) await engine.execQuery(statements.deallocateAllSql());
      if (!channels.isEmpty) await channels.unlistenAll();
      await dropTempObjectsOf(engine, session);
      engine.forgetUnnamedStatementOf(session);
    }
  } catch (error) {
    departed.log(`cleanup of session ${departed.pid} failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    engine.forgetSettingsOf(session);
    engine.scheduler.release(session);
  }
}
