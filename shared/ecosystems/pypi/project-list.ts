import type { ParsedMetadata, Rendered } from '../types.js';
import { escapeHtml, parseAnchors } from './html.js';
import { normalizeName } from './names.js';
import { PROJECT_LIST, SIMPLE_CONTENT_TYPES, type SimpleFormat } from './routes.js';

/** The /simple/ page in PEP 691 JSON form. It lists names only: nothing to date, hide or download. */
export interface ProjectList {
  meta: { 'api-version': string; [key: string]: unknown };
  projects: Array<{ name: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

export class InvalidProjectList extends Error {}

export function parseProjectList(body: Buffer): ParsedMetadata {
  const text = body.toString('utf8');
  let list: ProjectList;
  if (text.trimStart().startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InvalidProjectList(`project list is not JSON: ${(err as Error).message}`);
    }
    const { meta, projects } = (doc ?? {}) as Partial<ProjectList>;
    if (!Array.isArray(projects)) throw new InvalidProjectList('project list has no projects array');
    list = {
      ...(doc as ProjectList),
      meta: typeof meta?.['api-version'] === 'string' ? meta : { 'api-version': '1.0' },
      projects: projects.filter((p) => typeof p?.name === 'string'),
    };
  } else {
    if (!/<html|<a\b|<!doctype/i.test(text)) throw new InvalidProjectList('project list is neither JSON nor HTML');
    list = { meta: { 'api-version': '1.0' }, projects: parseAnchors(text).flatMap(({ text: name }) => (name ? [{ name }] : [])) };
  }
  return { package: PROJECT_LIST, versions: [], artifacts: [], document: list };
}

/** Links are relative ("<name>/"), so that the page works below any proxy URL. */
export function renderProjectList(format: SimpleFormat, list: ProjectList): Rendered {
  const contentType = SIMPLE_CONTENT_TYPES[format];
  if (format === 'json') return { body: Buffer.from(JSON.stringify(list)), contentType };
  const anchors = list.projects.map(({ name }) => `    <a href="${escapeHtml(encodeURIComponent(normalizeName(name)))}/">${escapeHtml(name)}</a><br />\n`);
  const html =
    `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${escapeHtml(list.meta['api-version'])}">\n` +
    `    <title>Simple index</title>\n  </head>\n  <body>\n${anchors.join('')}  </body>\n</html>\n`;
  return { body: Buffer.from(html), contentType };
}
