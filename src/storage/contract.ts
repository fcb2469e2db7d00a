/**
 * One contract for every attachment storage adapter: each adapter's test runs it (`storageContract(name, make)`).
 * It is test code (it calls jest), kept beside the port like the event store's contract.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { AttachmentStorage } from './port';

const bytesOf = async (stream: Readable | null): Promise<Buffer> => {
  if (stream === null) throw new Error('no such object');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
};

const keyOf = (content: Buffer) => `sha256/${createHash('sha256').update(content).digest('hex')}`;

const listed = async (storage: AttachmentStorage) => {
  const keys: string[] = [];
  for await (const o of storage.list()) keys.push(o.key);
  return keys.sort();
};

/** A stream that gives `head` and then fails, as a request cut off midway does. */
const failing = (head: Buffer) =>
  new Readable({
    read() {
      if (this.readableLength === 0 && !(this as { sent?: boolean }).sent) {
        (this as { sent?: boolean }).sent = true;
        this.push(head);
      } else {
        this.destroy(new Error('connection reset'));
      }
    },
  });

export const storageContract = (
  name: string,
  make: () => Promise<{ storage: AttachmentStorage; teardown(): Promise<void> }>,
) => {
  describe(`attachment storage contract: ${name}`, () => {
    let storage: AttachmentStorage;
    let teardown: () => Promise<void>;
    beforeEach(async () => {
      ({ storage, teardown } = await make());
    });
    afterEach(() => teardown());

    it('stores a stream under its key and gives it back whole', async () => {
      const content = Buffer.from('hello, attachments\n'.repeat(1000));
      await storage.put(keyOf(content), Readable.from([content]));
      expect(await storage.exists(keyOf(content))).toBe(true);
      expect((await bytesOf(await storage.get(keyOf(content)))).equals(content)).toBe(true);
    });

    it('stores a stream of many small chunks larger than one S3 part (5 MiB)', async () => {
      const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(64 * 1024, i));
      const content = Buffer.concat(chunks);
      await storage.put(keyOf(content), Readable.from(chunks));
      expect((await bytesOf(await storage.get(keyOf(content)))).equals(content)).toBe(true);
    });

    it('gives back a byte range, both ends included', async () => {
      const content = Buffer.from('0123456789abcdef');
      await storage.put(keyOf(content), Readable.from([content]));
      expect((await bytesOf(await storage.get(keyOf(content), { start: 3, end: 7 }))).toString()).toBe(
        '34567',
      );
      expect((await bytesOf(await storage.get(keyOf(content), { start: 15, end: 15 }))).toString()).toBe('f');
    });

    it('an unknown key: get gives null, exists false, delete is no error', async () => {
      const key = `sha256/${'0'.repeat(64)}`;
      expect(await storage.get(key)).toBeNull();
      expect(await storage.exists(key)).toBe(false);
      await storage.delete(key);
    });

    it('deletes an object', async () => {
      const content = Buffer.from('to be deleted');
      await storage.put(keyOf(content), Readable.from([content]));
      await storage.delete(keyOf(content));
      expect(await storage.exists(keyOf(content))).toBe(false);
      expect(await listed(storage)).toEqual([]);
    });

    it('staged content is invisible until committed, and a discard leaves nothing', async () => {
      const content = Buffer.from('staged bytes');
      const staged = await storage.stage(Readable.from([content]));
      expect(await listed(storage)).toEqual([]);
      await staged.commit(keyOf(content));
      expect(await listed(storage)).toEqual([keyOf(content)]);
      const other = await storage.stage(Readable.from([Buffer.from('never committed')]));
      await other.discard();
      expect(await listed(storage)).toEqual([keyOf(content)]);
      expect(await storage.sweepStaged(new Date(Date.now() + 60_000))).toBe(0);
    });

    it('committing the same content twice keeps one object', async () => {
      const content = Buffer.from('twice');
      await storage.put(keyOf(content), Readable.from([content]));
      await storage.put(keyOf(content), Readable.from([content]));
      expect(await listed(storage)).toEqual([keyOf(content)]);
    });

    it('a stream that fails midway leaves nothing behind, staged or not', async () => {
      await expect(storage.stage(failing(Buffer.alloc(64 * 1024, 1)))).rejects.toThrow();
      expect(await listed(storage)).toEqual([]);
      expect(await storage.sweepStaged(new Date(Date.now() + 60_000))).toBe(0);
    });

    it('a stream that fails before it is read, or at once, leaves nothing behind either', async () => {
      const dead = new PassThrough();
      dead.destroy(new Error('gone'));
      await expect(storage.stage(dead)).rejects.toThrow();
      const dying = new PassThrough();
      const staging = storage.stage(dying);
      dying.destroy(new Error('cut off'));
      await expect(staging).rejects.toThrow();
      expect(await listed(storage)).toEqual([]);
      expect(await storage.sweepStaged(new Date(Date.now() + 60_000))).toBe(0);
    });

    it('lists objects with their size and time', async () => {
      const content = Buffer.from('listed');
      await storage.put(keyOf(content), Readable.from([content]));
      const objects = [];
      for await (const o of storage.list()) objects.push(o);
      expect(objects).toEqual([{ key: keyOf(content), size: 6, modifiedAt: expect.any(Date) }]);
      expect(Math.abs(objects[0]!.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('refuses keys that could leave its place', async () => {
      await expect(storage.get('../etc/passwd')).rejects.toThrow(/invalid storage key/);
      await expect(storage.put('sha256/../../x', Readable.from([Buffer.from('x')]))).rejects.toThrow(
        /invalid storage key/,
      );
    });

    it('answers its readiness check', async () => {
      await storage.check();
    });
  });
};
