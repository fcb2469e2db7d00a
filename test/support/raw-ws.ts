/**
 * A WebSocket client made of a bare TCP socket, for sending what a well-behaved client library refuses to: any
 * request line and headers on the upgrade, and any frame after it (bad opcodes, reserved bits, unmasked, invalid
 * UTF-8, oversized). It reads the server's answer: an HTTP refusal, or a 101 and the frames after it.
 */
import { connect, type Socket } from 'node:net';

export interface RawOutcome {
  /** The HTTP status of the answer to the upgrade; 0 when the connection ended without one. */
  status: number;
  /** The close frame's code after a 101 (1005 when it had no code), or undefined while none came. */
  closeCode?: number;
  closeReason?: string;
  /** Text frames the server sent. */
  messages: string[];
  /** The connection, still open when no close came; the caller ends it. */
  socket: Socket;
}

/** A client frame: masked unless told otherwise, FIN set unless told otherwise. */
export const frame = (
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv?: number; mask?: boolean } = {},
): Buffer => {
  const { fin = true, rsv = 0, mask = true } = options;
  const length = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
};

/** Parses unmasked server frames from `data`; returns them and the bytes left over. */
const serverFrames = (data: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } => {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (data.length - at >= 2) {
    const opcode = data[at]! & 0x0f;
    let length = data[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (data.length - at < 4) break;
      length = data.readUInt16BE(at + 2);
      offset = at + 4;
    } else if (length === 127) {
      if (data.length - at < 10) break;
      length = Number(data.readBigUInt64BE(at + 2));
      offset = at + 10;
    }
    if (data.length < offset + length) break;
    frames.push({ opcode, payload: data.subarray(offset, offset + length) });
    at = offset + length;
  }
  return { frames, rest: data.subarray(at) };
};

/**
 * Sends an upgrade (`target` as written on the request line, `headers` besides the handshake's own), then `after`
 * (frames) once the 101 came, and reads until a close frame, the end of the connection, or `settleMs` of quiet.
 */
export const rawUpgrade = (
  port: number,
  target: string,
  options: { headers?: Record<string, string>; after?: Buffer[]; settleMs?: number; timeoutMs?: number } = {},
): Promise<RawOutcome> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const outcome: RawOutcome = { status: 0, messages: [], socket };
    let buffered: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(quiet);
      clearTimeout(overall);
      socket.removeAllListeners('data');
      resolve(outcome);
    };
    const overall = setTimeout(() => done(), options.timeoutMs ?? 5000);
    const settle = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, options.settleMs ?? 200);
    };
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = Number(
          /^HTTP\/1\.1 (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? 0,
        );
        outcome.status = status;
        buffered = buffered.subarray(end + 4);
        if (status !== 101) return done();
        upgraded = true;
        for (const sent of options.after ?? []) socket.write(sent);
      }
      const { frames, rest } = serverFrames(buffered);
      buffered = rest;
      for (const f of frames) {
        if (f.opcode === 1) outcome.messages.push(f.payload.toString('utf8'));
        if (f.opcode === 8) {
          outcome.closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
          outcome.closeReason = f.payload.subarray(2).toString('utf8');
          return done();
        }
      }
      settle();
    });
    socket.on('connect', () => {
      const headers = {
        Host: `127.0.0.1:${port}`,
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...options.headers,
      };
      const lines = [
        `GET ${target} HTTP/1.1`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ];
      socket.write(Buffer.from(lines.join('\r\n'), 'latin1'));
    });
    socket.once('error', (error) => {
      if (outcome.status === 0 && !socket.connecting) return;
      if (socket.connecting) reject(error);
    });
  });
