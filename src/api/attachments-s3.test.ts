/**
 * Attachments through the API with the S3 adapter, on the S3 stand-in (s3rver): a file larger than one multipart part
 * goes up and comes back byte-identical (whole and by range), a removal and the cleanup job delete its object, and
 * an upload over the limit leaves nothing in the bucket.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { runJob } from '../../test/support/jobs';
import { S3_STAND_IN_NAME, type S3StandIn, startS3StandIn } from '../../test/support/s3rver';
import { useFixture, useTestApi } from '../../test/support/suite';
import { s3Storage } from '../storage/s3';

const MiB = 1024 * 1024;

describe(`attachments over HTTP on the ${S3_STAND_IN_NAME}`, () => {
  const standIn = {} as S3StandIn;
  beforeAll(async () => {
    Object.assign(standIn, await startS3StandIn('tt-attachments'));
  });
  afterAll(() => standIn.stop?.());
  const api = useTestApi(() => ({
    attachments: {
      storage: s3Storage({
        bucket: standIn.bucket,
        endpoint: standIn.endpoint,
        region: standIn.region,
        credentials: standIn.credentials,
        forcePathStyle: true,
        prefix: 'tt/',
      }),
      maxBytes: 8 * MiB,
      retentionMs: 86_400_000,
    },
  }));
  const acme = useFixture(() => anOrganization(api, 'Acme').withMember('member').withProject('Web').build());

  const objects = async (): Promise<string[]> => {
    const client = new S3Client({
      endpoint: standIn.endpoint,
      region: standIn.region,
      forcePathStyle: true,
      credentials: standIn.credentials,
    });
    const page = await client.send(new ListObjectsV2Command({ Bucket: standIn.bucket }));
    client.destroy();
    return (page.Contents ?? []).map((o) => o.Key!).sort();
  };

  it('stores, serves (whole and by range), removes and cleans up a 6 MiB file', async () => {
    const issue = await createIssue(api, acme.owner, acme.projects.Web);
    const content = Buffer.alloc(6 * MiB);
    for (let i = 0; i < content.length; i += 1) content[i] = (i * 7 + (i >> 12)) & 0xff;
    const sha256 = createHash('sha256').update(content).digest('hex');
    const res = await api.http
      .post(`/api/v1/issues/${issue.id}/attachments/`)
      .set(acme.member.auth)
      .attach('file', content, { filename: 'big.bin', contentType: 'application/octet-stream' });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ size: content.length, sha256 });
    expect(await objects()).toEqual([`tt/sha256/${sha256}`]);

    const path = new URL(res.body.url).pathname;
    const binary = (
      r: { on(event: string, listener: (chunk: Buffer) => void): unknown },
      cb: (e: Error | null, b: Buffer) => void,
    ) => {
      const chunks: Buffer[] = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    };
    const whole = await api.http.get(path).set(acme.member.auth).buffer(true).parse(binary);
    expectStatus(whole, 200);
    expect((whole.body as Buffer).equals(content)).toBe(true);
    const part = await api.http
      .get(path)
      .set(acme.member.auth)
      .set('Range', `bytes=${5 * MiB}-${5 * MiB + 9}`)
      .buffer(true)
      .parse(binary);
    expect(part.status).toBe(206);
    expect((part.body as Buffer).equals(content.subarray(5 * MiB, 5 * MiB + 10))).toBe(true);

    expectStatus(await api.http.delete(`/api/v1/attachments/${res.body.id}/`).set(acme.member.auth), 204);
    expectProblem(await api.http.get(path).set(acme.member.auth), 404);
    await runJob(api, 'attachment-cleanup', new Date(Date.now() + 2 * 86_400_000));
    expect(await objects()).toEqual([]);
  }, 120_000);

  it('leaves nothing in the bucket for an upload over the limit', async () => {
    const issue = await createIssue(api, acme.owner, acme.projects.Web);
    const res = await api.http
      .post(`/api/v1/issues/${issue.id}/attachments/`)
      .set(acme.member.auth)
      .attach('file', Buffer.alloc(8 * MiB + 1, 1), 'too-big.bin');
    expectProblem(res, 413, ['file']);
    expect(await objects()).toEqual([]);
  }, 120_000);
});
