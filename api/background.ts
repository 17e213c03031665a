// Background work (outbox workers, the clock's jobs, the publisher) runs in one server process
// per database: the one holding the background lease (db/commands/lease.ts). Any other server on
// the same DATABASE_PATH serves HTTP alone, on standby, and takes the work over within one beat
// once the holder stops (it releases the lease) or within the lease's TTL once it dies or freezes.
// That is what makes a zero-downtime restart possible: start the new process, stop the old one.
import type { Db } from '#db/client.ts';
import {
  acquireLease,
  LEASE_BEAT_MS,
  leaseHolder,
  releaseLease,
  renewLease,
  type LeaseHolder,
  type LeaseOwner,
} from '#db/commands/lease.ts';
import { isDatabaseBusy } from '#db/commands/transaction.ts';

/** What the holder runs: started when the lease is taken, stopped (and awaited) when it is lost or the server stops. */
export interface BackgroundWork {
  start(): void;
  stop(): Promise<void>;
}

export type BackgroundRole = 'active' | 'standby';

/** A holder, in one Spanish line for the log. */
export function describeHolder(holder: LeaseHolder | null): string {
  return holder ? `pid ${holder.pid} en ${holder.host}` : 'ningún proceso';
}

export class BackgroundLease {
  private readonly db: Db;
  readonly owner: LeaseOwner;
  private readonly work: BackgroundWork;
  private readonly log: (line: string) => void;
  private readonly beatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private current: BackgroundRole = 'standby';
  /** Start and stop of the work, one after the other. */
  private transition: Promise<void> = Promise.resolve();
  private closed = false;
  /** After the first beat: a standby that takes over later says so (the start line says the rest). */
  private begun = false;

  constructor(options: {
    db: Db;
    owner: LeaseOwner;
    work: BackgroundWork;
    log?: (line: string) => void;
    beatMs?: number;
  }) {
    this.db = options.db;
    this.owner = options.owner;
    this.work = options.work;
    this.log = options.log ?? ((line) => console.log(line));
    this.beatMs = options.beatMs ?? LEASE_BEAT_MS;
  }

  get role(): BackgroundRole {
    return this.current;
  }

  /** The live holder of the lease (this server or another), as the database says now. */
  holder(): LeaseHolder | null {
    return leaseHolder(this.db, Date.now());
  }

  /**
   * Takes the lease if it is free (starting the work) and begins the beat. Returns the role this
   * server starts in; on standby, the caller says so in one line.
   */
  begin(): BackgroundRole {
    this.beat();
    this.begun = true;
    this.timer = setInterval(() => this.beat(), this.beatMs);
    this.timer.unref();
    return this.current;
  }

  private beat(): void {
    if (this.closed) return;
    const now = Date.now();
    try {
      if (this.current === 'active') {
        if (!renewLease(this.db, this.owner, now)) {
          const holder = this.holder();
          this.log(
            `Trabajo de fondo: este proceso perdió el turno (lo tiene ${describeHolder(holder)}); sigue atendiendo HTTP en espera.`,
          );
          this.become('standby');
        }
        return;
      }
      const holder = acquireLease(this.db, this.owner, now);
      if (holder.owner !== this.owner.id) return;
      if (this.begun) this.log(`Trabajo de fondo: este proceso (pid ${process.pid}) lo tomó; ya no está en espera.`);
      this.become('active');
    } catch (err) {
      // Another process holds the write lock: next beat. The lease outlives a few missed beats.
      if (!isDatabaseBusy(err)) console.error('Turno del trabajo de fondo:', err);
    }
  }

  private become(role: BackgroundRole): void {
    if (this.current === role) return;
    const wasStarted = this.current === 'active';
    this.current = role;
    this.transition = this.transition.then(async () => {
      try {
        if (role === 'active') this.work.start();
        else if (wasStarted) await this.work.stop();
      } catch (err) {
        console.error('Trabajo de fondo:', err);
      }
    });
  }

  /** Resolves once the work has started or stopped after the last change of role. */
  settled(): Promise<void> {
    return this.transition;
  }

  /** Stops the work (awaited), then gives the lease up so a standby takes over at its next beat. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const wasActive = this.current === 'active';
    this.become('standby');
    await this.transition;
    if (wasActive) {
      try {
        releaseLease(this.db, this.owner);
      } catch {
        // Busy or closed: the lease expires by itself.
      }
    }
  }
}
