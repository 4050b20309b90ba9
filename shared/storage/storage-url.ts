/**
 * Where the cluster keeps blobs: s3://bucket[/prefix][?endpoint=URL&region=R&force_path_style=true].
 * Parsed here, without the S3 SDK, so that the configuration schema can validate it.
 */
export interface S3Location {
  bucket: string;
  /** Key prefix, empty or ending with '/'. */
  prefix: string;
  /** An S3-compatible server (MinIO, Ceph, R2); unset means AWS S3. */
  endpoint?: string;
  /** Unset: the AWS chain decides (AWS_REGION, the profile). */
  region?: string;
  /** Bucket in the path rather than the host name, as most S3-compatible servers need. */
  forcePathStyle: boolean;
}

const PARAMETERS = new Set(['endpoint', 'region', 'force_path_style']);
/** S3's bucket naming rules, loosely: lower case, digits, dots and dashes. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses a storage URL; throws an Error whose message says what is wrong. */
export function parseStorageUrl(text: string): S3Location {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`invalid URL ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 's3:') throw new Error(`storage URL ${JSON.stringify(text)} must start with s3:// (unset it for blob files under data_dir)`);
  if (!BUCKET.test(url.hostname)) throw new Error(`storage URL ${JSON.stringify(text)} needs a bucket name: s3://bucket[/prefix]`);
  for (const name of url.searchParams.keys()) {
    if (!PARAMETERS.has(name)) throw new Error(`storage URL parameter ${JSON.stringify(name)} is unknown (known: ${[...PARAMETERS].join(', ')})`);
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) throw new Error(`storage URL endpoint ${JSON.stringify(endpoint)} must be an http or https URL`);
  const pathStyle = url.searchParams.get('force_path_style') ?? 'false';
  if (pathStyle !== 'true' && pathStyle !== 'false') throw new Error(`storage URL force_path_style must be true or false, not ${JSON.stringify(pathStyle)}`);
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  return {
    bucket: url.hostname,
    prefix: path === '' ? '' : `${path}/`,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(url.searchParams.has('region') ? { region: url.searchParams.get('region')! } : {}),
    forcePathStyle: pathStyle === 'true',
  };
}
