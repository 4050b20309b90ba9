import type { Ecosystem } from '../types.js';
import { checkAgainstChecksumDatabase } from './checksum-db.js';
import { parseGoDocument, renderGoDocument } from './documents.js';
import { privateMatcher } from './private.js';
import { completePublishTimes } from './publish-times.js';
import { routeGo } from './routes.js';

const CONTENT_TYPES: Record<string, string> = {
  info: 'application/json',
  mod: 'text/plain; charset=utf-8',
  zip: 'application/zip',
};

/** The Go module proxy (GOPROXY protocol) and the checksum database behind it. */
export function createGo(options: { private: readonly string[] }): Ecosystem {
  const isPrivate = privateMatcher(options.private);
  return {
    name: 'go',
    route: (path, request) => routeGo(path, request, isPrivate),
    parse: parseGoDocument,
    render: renderGoDocument,
    completeVersions: completePublishTimes,
    verifyArtifact: checkAgainstChecksumDatabase,
    artifactContentType: (path) => CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    // The go command prints a text/plain error body below the status line ("server response: ...").
    errorBody: (_status, message) => ({ contentType: 'text/plain; charset=utf-8', body: `${message}\n` }),
  };
}
