import type { Knex } from 'knex';
import type { WebSocket } from 'ws';
import { type Position, START } from '../eventstore/port';
import { FEED_PAGE_MAX, feedSince } from '../projections/activity/queries';
import type { BusMessage } from './bus/bus';
import { closeSocket } from './close-socket';
import type { RealtimeMetrics, SocketIdentity } from './options';
import { CLOSE, RESYNC, type RealtimeRoute } from './protocol';
import type { RoomMember, Rooms } from './rooms';

/**
 * - `authenticating`: the token was valid; rooms are joined and the login and project access checked. Live
 *   messages are held.
 * - `replaying`: the project's feed after the last position sent is being sent. Live messages are held.
 * - `live`: messages go out as they come.
 * - `closing`: the server is closing the socket, or it is gone. Nothing more is sent or joined.
 */
export type SessionState = 'authenticating' | 'replaying' | 'live' | 'closing';

/** What the sessions of one server share. */
export interface SessionContext {
  db: Knex;
  rooms: Rooms;
  maxBufferedBytes: number;
  closeTimeoutMs: number;
  metrics?: Pick<RealtimeMetrics, 'messagesSent' | 'slowSocketDropped'>;
}

/**
 * One WebSocket: what it was sent (a socket never gets a position at or below the last one it got), what it
 * holds while it authenticates or replays, and the state machine
 * authenticating → (replaying →) live (→ replaying → live after a bus gap) → closing.
 */
export class SocketSession implements RoomMember {
  private current: SessionState = 'authenticating';
  private lastPosition: Position = START;
  private held: BusMessage[] = [];
  /** The bus may have missed messages for this project socket: replay from `lastPosition` when live. */
  private gapPending = false;
  private project: { id: string; organizationId: string } | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly route: RealtimeRoute,
    readonly identity: SocketIdentity,
    private readonly context: SessionContext,
  ) {}

  get state(): SessionState {
    return this.current;
  }

  get closing(): boolean {
    return this.current === 'closing';
  }

  get userId(): string {
    return this.identity.userId;
  }

  /** The organization of the project socket's project, once its access was checked. */
  get organizationId(): string | undefined {
    return this.project?.organizationId;
  }

  /** Joins a room; what it brings before the session is live is held. */
  async join(room: string): Promise<void> {
    if (!this.closing) await this.context.rooms.join(room, this);
  }

  /** The access check passed: from now on the socket belongs to the project and its organization. */
  enterProject(id: string, organizationId: string): void {
    this.project = { id, organizationId };
  }

  deliver(message: BusMessage, data: Buffer): void {
    if (this.current === 'live') this.send(message, data);
    else if (!this.closing) this.held.push(message);
  }

  /** authenticating → live: what was held after `from` goes out, then messages as they come. */
  async start(from: Position): Promise<void> {
    this.lastPosition = from;
    if (this.gapPending) return this.replay();
    this.goLive();
  }

  /** authenticating → replaying → live: the project's feed after `since`, then what was held meanwhile. */
  resume(since: Position): Promise<void> {
    this.lastPosition = since;
    return this.replay();
  }

  /** The bus may have missed messages: a live project socket replays its feed, one still connecting will. */
  async fillGap(): Promise<void> {
    if (!this.project || this.closing) return;
    this.gapPending = true;
    if (this.current === 'live') await this.replay();
  }

  /** `{ "type": "resync" }`: the client's position cannot be resumed from. */
  resync(): void {
    this.ws.send(RESYNC);
  }

  /** → closing, closing the socket with `code` (cut after `cutAfterMs` if the client never answers). */
  close(code: number, reason: string, cutAfterMs = this.context.closeTimeoutMs): void {
    if (this.closing) return;
    this.end();
    closeSocket(this.ws, code, reason, cutAfterMs);
  }

  /** → closing: the socket is gone (or going); the session leaves its rooms. */
  end(): void {
    this.current = 'closing';
    this.held = [];
    this.context.rooms.leaveAll(this);
  }

  private async replay(): Promise<void> {
    if (this.closing) return;
    this.current = 'replaying';
    try {
      do {
        this.gapPending = false;
        await this.sendFeed();
      } while (this.gapPending && this.current === 'replaying');
    } finally {
      this.goLive();
    }
  }

  /** Sends the project feed after `lastPosition`, page by page (a position the feed cannot take gets resync). */
  private async sendFeed(): Promise<void> {
    for (;;) {
      const page = await feedSince(this.context.db, this.project!.id, this.lastPosition);
      if (page === null) return this.resync();
      for (const message of page) {
        if (this.current !== 'replaying' || this.ws.readyState !== this.ws.OPEN) return;
        const payload = JSON.stringify(message);
        this.send({ room: '', position: message.position, payload }, Buffer.from(payload));
      }
      if (page.length < FEED_PAGE_MAX) return;
    }
  }

  /** → live: what was held goes out (duplicates dropped by position), then messages as they come. */
  private goLive(): void {
    if (this.closing) return;
    this.current = 'live';
    const held = this.held;
    this.held = [];
    for (const message of held) this.send(message, Buffer.from(message.payload));
  }

  private send(message: BusMessage, data: Buffer): void {
    if (this.closing || message.position <= this.lastPosition) return;
    if (this.ws.bufferedAmount > this.context.maxBufferedBytes) {
      this.context.metrics?.slowSocketDropped(this.route);
      this.close(CLOSE.tryAgainLater, 'too slow; resume with since');
      return;
    }
    this.lastPosition = message.position;
    this.ws.send(data, { binary: false });
    this.context.metrics?.messagesSent(this.route, 1);
  }
}
