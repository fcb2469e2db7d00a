/**
 * A WebSocket client of a project room that never gives up: whenever its socket closes (a killed process, a
 * shutdown, a slow-consumer close) it connects again, to any API process, resuming with `since=<the last position
 * it got>`. It keeps every position it was sent, so a check can compare them with the project's feed: nothing
 * missed, nothing twice, in order.
 */
import { WebSocket } from 'ws';

/** Closes a client may see while processes die and restart; anything else is a complaint. */
const EXPECTED_CLOSES = new Set([1001, 1006, 1011, 1012, 1013]);

export class ResumingSocket {
  /** Every position received, in the order received. */
  readonly positions: string[] = [];
  /** When each of them came (for telling, when one is missing, what happened around it). */
  readonly receivedAt: number[] = [];
  /** When each connection opened and closed, with the close code. */
  readonly timeline: string[] = [];
  readonly complaints: string[] = [];
  /** Connections opened (the first and each resume). */
  connections = 0;
  private last: string;
  private socket: WebSocket | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly options: {
      apis: readonly string[];
      projectId: string;
      token: string;
      /** Where the client starts: it expects every feed entry after this position. */
      since: string;
    },
  ) {
    this.last = options.since;
  }

  get since(): string {
    return this.options.since;
  }

  get projectId(): string {
    return this.options.projectId;
  }

  /** The last position received (or the start). */
  get lastPosition(): string {
    return this.last;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.socket?.terminate();
    await this.loop;
  }

  private url(): string {
    const base = this.options.apis[Math.floor(Math.random() * this.options.apis.length)]!;
    const query = `token=${encodeURIComponent(this.options.token)}&since=${this.last}`;
    return `${base.replace(/^http/, 'ws')}/ws/projects/${this.options.projectId}/?${query}`;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.connectOnce();
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }

  /** One connection, until it closes (or never opens). */
  private connectOnce(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url());
      this.socket = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.connections += 1;
        this.timeline.push(`${Date.now()} open since ${this.last}`);
      });
      ws.on('message', (data) => this.receive(data.toString()));
      // Refused connections and failed upgrades (a process starting or stopping) end here or in 'close'.
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (_req, res) => {
        if (res.statusCode !== 503 && res.statusCode !== 502)
          this.complaints.push(`the upgrade was answered ${res.statusCode}`);
        ws.terminate();
      });
      ws.on('close', (code) => {
        if (opened) this.timeline.push(`${Date.now()} closed ${code}`);
        if (opened && !this.stopped && !EXPECTED_CLOSES.has(code))
          this.complaints.push(`closed with ${code} (last position ${this.last})`);
        this.socket = null;
        resolve();
      });
    });
  }

  private receive(text: string): void {
    let message: { type?: string; position?: string };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      this.complaints.push(`a frame that is not JSON: ${text.slice(0, 100)}`);
      return;
    }
    if (typeof message.position !== 'string') {
      this.complaints.push(`a message without a position: ${text.slice(0, 200)}`);
      return;
    }
    this.positions.push(message.position);
    this.receivedAt.push(Date.now());
    if (message.position > this.last) this.last = message.position;
  }
}

/**
 * What the client got against what the feed holds after its start: missing positions, positions it got more than
 * once, and positions out of order. Empty lists: exact.
 */
export const compareWithFeed = (
  received: readonly string[],
  feed: readonly string[],
): { missing: string[]; duplicates: string[]; unexpected: string[]; outOfOrder: number } => {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  let outOfOrder = 0;
  for (const [i, position] of received.entries()) {
    if (seen.has(position)) duplicates.push(position);
    seen.add(position);
    if (i > 0 && position <= received[i - 1]!) outOfOrder += 1;
  }
  const expected = new Set(feed);
  return {
    missing: feed.filter((p) => !seen.has(p)),
    duplicates,
    unexpected: [...seen].filter((p) => !expected.has(p)),
    outOfOrder,
  };
};
