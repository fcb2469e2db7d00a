import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3_STAND_IN_NAME, type S3StandIn, startS3StandIn } from '../../test/support/s3rver';
import { storageContract } from './contract';
import { s3Storage } from './s3';

let standIn: S3StandIn;
beforeAll(async () => {
  standIn = await startS3StandIn();
  console.info(`${S3_STAND_IN_NAME} listening at ${standIn.endpoint}`);
});
afterAll(() => standIn.stop());

storageContract(`S3 adapter on the ${S3_STAND_IN_NAME}`, async () => {
  const client = new S3Client({
    endpoint: standIn.endpoint,
    region: standIn.region,
    forcePathStyle: true,
    credentials: standIn.credentials,
  });
  const storage = s3Storage({
    bucket: standIn.bucket,
    endpoint: standIn.endpoint,
    region: standIn.region,
    credentials: standIn.credentials,
    forcePathStyle: true,
  });
  return {
    storage,
    async teardown() {
      // Every test starts from an empty bucket; nothing staged may be left.
      const page = await client.send(new ListObjectsV2Command({ Bucket: standIn.bucket }));
      const keys = (page.Contents ?? []).map((o) => o.Key!);
      expect(keys.filter((k) => k.startsWith('staged/'))).toEqual([]);
      for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket: standIn.bucket, Key }));
      client.destroy();
    },
  };
});
