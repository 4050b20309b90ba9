import type { Ecosystem } from '../types.js';
import { parsePackument, type Packument } from './packument.js';
import { renderPackument } from './render.js';
import { routeNpm } from './routes.js';

export const npm: Ecosystem = {
  name: 'npm',
  route: routeNpm,
  parse: (route, body) => parsePackument(route.package, body),
  render: (route, parsed, context) => renderPackument(route.package, route.variant, parsed.document as Packument, context),
  artifactContentType: () => 'application/octet-stream',
  // npm prints the "error" field of a JSON error body next to the status line.
  errorBody: (_status, message) => ({ contentType: 'application/json', body: JSON.stringify({ error: message }) }),
};
