import type { Position } from '../port';

type Marker = { afterReceived: number; kind: 'caughtUp' | 'fellBehind'; atLeast?: Position };

/**
 * When a `$all` subscription has caught up (see esdb-subscription.ts). The client's `caughtUp` and `fellBehind`
 * carry no position and arrive while events the client had already pushed are still to come: each is held as a
 * marker until those events have been received. For servers that never send `caughtUp` (before 23.10), the head
 * read when subscribing is the fallback: caught up once the subscription has seen an event at or past it, or a
 * filter checkpoint beyond it. After `fellBehind` only the server's own `caughtUp` counts: the head is stale.
 */
export class CatchUpTracker {
  private head: Position | undefined;
  private fallbackArmed = true;
  private caughtUp = false;
  private markers: Marker[] = [];
  private received = 0;

  /** `report` is told once per catching up, with the least position it may report (if any). */
  constructor(private readonly report: (atLeast: Position | undefined) => void) {}

  /** The head read when subscribing from `from`: nothing beyond the start means caught up at once. */
  setHead(head: Position, from: Position): void {
    this.head = head;
    if (head <= from) this.reportOnce(undefined);
  }

  /** The client emitted `caughtUp` or `fellBehind` with `buffered` events pushed before it still to come. */
  mark(kind: Marker['kind'], buffered: number, atLeast?: Position): void {
    this.markers.push({ afterReceived: this.received + buffered, kind, ...(atLeast ? { atLeast } : {}) });
    this.flush();
  }

  /** The client emitted an event (counted before anything else is done with it). */
  countReceived(): void {
    this.received += 1;
  }

  /** After an event that left the subscription at `position`: markers now due, then the fallback. */
  afterEvent(position: Position): void {
    this.flush();
    if (this.fallbackDue() && position >= this.head!) this.reportOnce(undefined);
  }

  /** A filter checkpoint beyond the head proves everything up to the head has been scanned (fallback only). */
  checkpoint(at: Position, buffered: number): void {
    if (this.fallbackDue() && at > this.head!) this.mark('caughtUp', buffered, this.head);
  }

  /** A new client subscription: the old one's markers and counts no longer apply. */
  reset(): void {
    this.markers = [];
    this.received = 0;
  }

  private fallbackDue(): boolean {
    return this.fallbackArmed && this.head !== undefined && !this.caughtUp;
  }

  private reportOnce(atLeast: Position | undefined): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    this.report(atLeast);
  }

  /** Markers sit between the events the client had pushed before it emitted them. */
  private flush(): void {
    while (this.markers.length > 0 && this.markers[0]!.afterReceived <= this.received) {
      const marker = this.markers.shift()!;
      if (marker.kind === 'fellBehind') {
        this.caughtUp = false;
        this.fallbackArmed = false;
      } else this.reportOnce(marker.atLeast);
    }
  }
}
