import { badRequest } from '../http-error.js';

/**
 * A request path below a mount, split at "/" and percent-decoded segment by segment, so that
 * an encoded slash stays inside its segment for the module to judge.
 */
export function decodePathSegments(path: string): string[] {
  return path.split('/').map((segment) => {
    if (!segment.includes('%')) return segment; // most paths: decoding would copy them unchanged
    try {
      return decodeURIComponent(segment);
    } catch {
      throw badRequest('malformed percent-encoding in path');
    }
  });
}
