import type { Ecosystem, MetadataRoute, ParsedMetadata } from '../types.js';
import { completeFromJsonApi } from './completion.js';
import { parseJsonApi, renderJsonApi, type JsonApiDocument } from './json-api.js';
import { parseProjectList, renderProjectList, type ProjectList } from './project-list.js';
import { routePypi, type SimpleFormat } from './routes.js';
import { parseProjectPage, renderProjectPage, type ProjectPage } from './simple-project.js';

/** Which of the three documents a metadata route is. */
function documentOf(route: MetadataRoute): 'project-list' | 'project-page' | 'json-api' {
  if (route.docKey === 'simple-index') return 'project-list';
  return route.docKey.startsWith('simple/') ? 'project-page' : 'json-api';
}

export const pypi: Ecosystem = {
  name: 'pypi',
  route: routePypi,
  parse(route, body, source): ParsedMetadata {
    switch (documentOf(route)) {
      case 'project-list':
        return parseProjectList(body);
      case 'project-page':
        return parseProjectPage(route.package, body, source?.url);
      case 'json-api':
        return parseJsonApi(route.package, body, source?.url);
    }
  },
  render(route, parsed, context) {
    switch (documentOf(route)) {
      case 'project-list':
        return renderProjectList(route.variant as SimpleFormat, parsed.document as ProjectList);
      case 'project-page':
        return renderProjectPage(route.package, route.variant as SimpleFormat, parsed.document as ProjectPage, context);
      case 'json-api':
        return renderJsonApi(route.package, route.variant, parsed.document as JsonApiDocument, context);
    }
  },
  completeVersions: completeFromJsonApi,
  artifactContentType: () => 'application/octet-stream',
  // pip prints the status line's reason phrase, not the body; curl and browsers show the body.
  errorBody: (_status, message) => ({ contentType: 'text/plain; charset=utf-8', body: `${message}\n`, statusMessage: message }),
};
