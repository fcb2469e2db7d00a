import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storageContract } from './contract';
import { filesystemStorage } from './filesystem';

const folders: string[] = [];

storageContract('filesystem', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'tt-attachments-'));
  folders.push(root);
  return {
    storage: filesystemStorage(root),
    async teardown() {
      // Nothing but committed objects' folders: no staged file is ever left.
      const left = await readdir(root, { recursive: true });
      expect(left.filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
      await rm(root, { recursive: true, force: true });
    },
  };
});
