/** The logger's own redaction: credentials under the names they go by, at the top level or one object down. */
import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('createLogger', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { logger: createLogger({ level: 'debug' }, stream), lines };
  };

  it('redacts passwords, tokens, secrets and authorization headers', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'p1',
        body: { password: 'p2', refresh: 'r1', refresh_token: 'r2', access_token: 'a1' },
        token: 't1',
        config: { secret: 's1', jwtSecret: 's2' },
        req: { headers: { authorization: 'Bearer a2', 'sec-websocket-protocol': 'bearer.a3' } },
        headers: { authorization: 'Bearer a4' },
      },
      'something',
    );
    const line = lines.join('');
    for (const value of ['p1', 'p2', 'r1', 'r2', 'a1', 't1', 's1', 's2', 'a2', 'a3', 'a4'])
      expect(line).not.toContain(`"${value}"`);
    expect(line).toContain('[redacted]');
  });
});
