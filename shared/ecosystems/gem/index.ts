import type { Ecosystem } from '../types.js';
import { parseInfo, renderInfo, type InfoDocument } from './info.js';
import { datePublishTimes } from './publish-times.js';
import { parseRegistryFile, renderRegistryFile, type RegistryFile } from './registry-files.js';
import { routeGem } from './routes.js';

/** RubyGems: the compact index for gem and Bundler, the Marshal index, gems and quick specs. */
export const gem: Ecosystem = {
  name: 'gem',
  route: routeGem,
  parse: (route, body, source) => (route.docKey.startsWith('info/') ? parseInfo(route.package, body, source) : parseRegistryFile(route.docKey, body)),
  render: (route, parsed, context) => {
    const document = parsed.document as InfoDocument | RegistryFile;
    return document.kind === 'info' ? renderInfo(document, context) : renderRegistryFile(route.variant, document);
  },
  completeVersions: datePublishTimes,
  artifactContentType: () => 'application/octet-stream',
  // gem and Bundler download gems with RubyGems' fetcher, which prints only the status line
  // ("bad response <reason phrase> 403"); Bundler prints the body of a failed index request.
  errorBody: (_status, message) => ({ contentType: 'text/plain; charset=utf-8', body: `${message}\n`, statusMessage: message }),
};
