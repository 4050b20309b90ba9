import { describe, expect, it } from 'vitest';
import { parseStorageUrl } from '../../shared/storage/storage-url.js';

describe('storage URL', () => {
  it('reads bucket, prefix and the S3-compatible endpoint settings', () => {
    expect(parseStorageUrl('s3://blobs')).toEqual({ bucket: 'blobs', prefix: '', forcePathStyle: false });
    expect(parseStorageUrl('s3://blobs/cache/pkgproxy/?endpoint=http://minio:9000&force_path_style=true&region=eu-west-1')).toEqual({
      bucket: 'blobs',
      prefix: 'cache/pkgproxy/',
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
  });

  it('says what is wrong', () => {
    expect(() => parseStorageUrl('file:///data')).toThrow('must start with s3://');
    expect(() => parseStorageUrl('s3://B')).toThrow('needs a bucket name');
    expect(() => parseStorageUrl('s3://blobs?endpoint=minio:9000')).toThrow('endpoint "minio:9000" must be an http or https URL');
    expect(() => parseStorageUrl('s3://blobs?force_path_style=yes')).toThrow('force_path_style must be true or false');
    expect(() => parseStorageUrl('s3://blobs?acl=public')).toThrow('parameter "acl" is unknown');
  });
});
