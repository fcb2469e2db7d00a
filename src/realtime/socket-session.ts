import type { Knex } from 'knex';
import type { WebSocket } from 'ws';
import { type Position, START } from '../eventstore/port';
import type { BusMessage } from './bus/bus';
import { closeSocket } from './close-socket';
import type { RoomHistory } from './histories';
import type { RealtimeMetrics, SocketIdentity } from './options';
import { CLOSE, RESYNC, type RealtimeRoute } from './protocol';
import type { RoomMember, Rooms } from './rooms';

/**
 * - `authenticating`: the token was valid; rooms are joined and the login and project access checked. Live
 *   messages are held.
 * - `replaying`: the room's history after the last position sent is being sent. Live messages are held.
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
 * One WebSocket: what it was sent, room by room (a socket never gets a position at or below the last one it got
 * from that room: rooms number their messages each their own way, the user's notifications by inbox, broadcasts
 * and projects by log position), what it holds while it authenticates or replays, and the state machine
 * authenticating → (replaying →) live (→ replaying → live after a bus gap) → closing.
 */
export class SocketSession implements RoomMember {
  private current: SessionState = 'authenticating';
  /** The last position sent, per room. */
  private readonly sent = new Map<string, Position>();
  private held: BusMessage[] = [];
  /** The room whose past can be replayed (the project's feed, the user's notifications). */
  private history: RoomHistory | undefined;
  /** The bus may have missed messages of the history's room: replay from its last position when live. */
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

  /** The room the socket can replay: `since`, bus gaps and skipped messages are filled from it. */
  keepHistory(history: RoomHistory): void {
    this.history = history;
  }

  deliver(message: BusMessage, data: Buffer): void {
    if (this.closing) return;
    if (this.current !== 'live') {
      this.held.push(message);
      return;
    }
    if (this.skipsOne(message)) {
      // Read the history up to it (it committed before it was published) rather than lose the one skipped.
      this.held.push(message);
      this.gapPending = true;
      this.replay().catch(() => this.close(CLOSE.serverError, 'server error'));
      return;
    }
    this.send(message, data);
  }

  /** authenticating → live: what was held after `from` (in the history's room) goes out, then messages as they come. */
  async start(from: Position): Promise<void> {
    if (this.history) this.sent.set(this.history.room, from);
    if (this.gapPending) return this.replay();
    this.goLive();
  }

  /** authenticating → replaying → live: the history after `since`, then what was held meanwhile. */
  resume(since: Position): Promise<void> {
    if (this.history) this.sent.set(this.history.room, since);
    return this.replay();
  }

  /** The bus may have missed messages: a live socket replays its history, one still connecting will. */
  async fillGap(): Promise<void> {
    if (!this.history || this.closing) return;
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

  private lastIn(room: string): Position {
    return this.sent.get(room) ?? START;
  }

  /** A live message of a room with dense positions that is not the next one: one before it never came. */
  private skipsOne(message: BusMessage): boolean {
    const history = this.history;
    if (!history?.follows || message.room !== history.room) return false;
    const last = this.lastIn(message.room);
    return message.position > last && !history.follows(last, message.position);
  }

  private async replay(): Promise<void> {
    if (this.closing || !this.history) return;
    this.current = 'replaying';
    try {
      do {
        this.gapPending = false;
        await this.sendHistory(this.history);
      } while (this.gapPending && this.current === 'replaying');
    } finally {
      this.goLive();
    }
  }

  /** Sends the history after the room's last position, page by page (a position it cannot take gets resync). */
  private async sendHistory(history: RoomHistory): Promise<void> {
    for (;;) {
      const page = await history.after(this.lastIn(history.room));
      if (page === null) return this.resync();
      for (const message of page) {
        if (this.current !== 'replaying' || this.ws.readyState !== this.ws.OPEN) return;
        this.send({ room: history.room, ...message }, Buffer.from(message.payload));
      }
      if (page.length < history.pageSize) return;
    }
  }

  /** → live: what was held goes out (duplicates dropped by position, room by room), then messages as they come. */
  private goLive(): void {
    if (this.closing) return;
    this.current = 'live';
    const held = this.held;
    this.held = [];
    for (const message of held) this.send(message, Buffer.from(message.payload));
  }

  private send(message: BusMessage, data: Buffer): void {
    if (this.closing || message.position <= this.lastIn(message.room)) return;
    if (this.ws.bufferedAmount > this.context.maxBufferedBytes) {
      this.context.metrics?.slowSocketDropped(this.route);
      this.close(CLOSE.tryAgainLater, 'too slow; resume with since');
      return;
    }
    this.sent.set(message.room, message.position);
    this.ws.send(data, { binary: false });
    this.context.metrics?.messagesSent(this.route, 1);
  }
}
