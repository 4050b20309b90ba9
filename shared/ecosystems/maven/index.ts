import type { Config } from '../../config/schema.js';
import { cooldownFor } from '../../policy/cooldown.js';
import type { Ecosystem } from '../types.js';
import { parseMavenMetadata } from './metadata.js';
import { datePublishTimes } from './publish-times.js';
import { renderMavenMetadata } from './render.js';
import { routeMaven } from './routes.js';

const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/\.(?:jar|war|ear|aar)$/, 'application/java-archive'],
  [/\.(?:pom|xml)$/, 'text/xml'],
  [/\.(?:sha1|sha256|sha512|md5)$/, 'text/plain'],
  [/\.asc$/, 'application/pgp-signature'],
  [/\.module$/, 'application/json'],
];

/** A Maven repository (Maven Central's layout), set up with the cooldown that decides how far back versions are dated. */
export function createMaven(config: Config): Ecosystem {
  return {
    name: 'maven',
    route: routeMaven,
    parse: parseMavenMetadata,
    render: renderMavenMetadata,
    completeVersions: (route, versions, context) => datePublishTimes(route, versions, context, cooldownFor(config.cooldown, 'maven', route.package).durationMs),
    artifactContentType: (path) => CONTENT_TYPES.find(([pattern]) => pattern.test(path))?.[1] ?? 'application/octet-stream',
    // Maven prints the status line ("status: 403 <reason phrase>"), never the body.
    errorBody: (_status, message) => ({ contentType: 'text/plain; charset=utf-8', body: `${message}\n`, statusMessage: message }),
  };
}
