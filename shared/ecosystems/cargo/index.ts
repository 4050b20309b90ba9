import type { Config } from '../../config/schema.js';
import type { Ecosystem } from '../types.js';
import { parseIndexFile, renderIndexFile, type IndexFile } from './index-file.js';
import { parseConfigDocument, renderRegistryConfig } from './registry-config.js';
import { routeCargo } from './routes.js';
import { UpstreamRegistries } from './upstream-registry.js';

/** Cargo's sparse registry protocol (RFC 2789): config.json, one index file per crate, .crate downloads. */
export function createCargo(config: Config): Ecosystem {
  const upstreams = new UpstreamRegistries(config.metadata_ttl);
  return {
    name: 'cargo',
    route: routeCargo,
    parse: (route, body) => (route.variant === 'config' ? parseConfigDocument(body) : parseIndexFile(route.package, body)),
    render: (route, parsed, context) => (route.variant === 'config' ? renderRegistryConfig(context.mountUrl) : renderIndexFile(parsed.document as IndexFile, context)),
    declareArtifacts: (route, parsed, context) => upstreams.declareArtifacts(route, parsed, context),
    completeVersions: (route, versions, context) => upstreams.completeVersions(route, versions, context),
    artifactContentType: () => 'application/gzip',
    // crates.io's error form; Cargo shows `detail` for API calls and the whole body for downloads.
    errorBody: (_status, message) => ({ contentType: 'application/json', body: JSON.stringify({ errors: [{ detail: message }] }) }),
  };
}
