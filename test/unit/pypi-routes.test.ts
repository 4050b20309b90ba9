import { describe, expect, it } from 'vitest';
import { pypi } from '../../shared/ecosystems/pypi/index.js';
import { negotiate } from '../../shared/ecosystems/pypi/routes.js';
import { routeTester } from '../helpers/route-tester.js';

/** What pip 23 sends for a project page. */
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

const tester = routeTester(pypi);
const { route, artifact, refusal } = tester;
const metadata = (path: string, accept?: string) => tester.metadata(path, { accept });

describe('pypi routes', () => {
  it('routes a project page to the upstream JSON form, rendered in the negotiated format', () => {
    const json = metadata('simple/requests/', PIP_ACCEPT);
    expect(json).toMatchObject({ package: 'requests', docKey: 'simple/requests', upstreamPath: 'simple/requests/', variant: 'json' });
    expect(json.upstreamAccept).toMatch(/^application\/vnd\.pypi\.simple\.v1\+json/);
    const html = metadata('simple/requests/', 'text/html');
    expect(html.variant).toBe('text-html');
    expect(html.docKey).toBe(json.docKey);
    expect(metadata('simple/requests/').variant).toBe('text-html');
  });

  it('routes the project list', () => {
    expect(metadata('simple/', PIP_ACCEPT)).toMatchObject({ docKey: 'simple-index', upstreamPath: 'simple/', variant: 'json' });
  });

  it('redirects other spellings of a name, and a missing slash, to the normalized page (relative, for any base URL)', () => {
    const cases: Array<[string, string]> = [
      ['simple/Django/', '../django/'],
      ['simple/zope.interface/', '../zope-interface/'],
      ['simple/Foo__Bar/', '../foo-bar/'],
      ['simple/requests', 'requests/'],
      ['simple/Foo_Bar', 'foo-bar/'],
      ['simple', 'simple/'],
    ];
    for (const [path, location] of cases) {
      const moved = refusal(path);
      expect(moved.status, path).toBe(301);
      expect(moved.headers.location, path).toBe(location);
    }
  });

  it('routes distribution files and their PEP 658 metadata to artifacts declared by the project page', () => {
    const wheel = artifact('files/demo-lib/Demo_Lib-1.0-py3-none-any.whl');
    expect(wheel).toMatchObject({ package: 'demo-lib', path: 'files/demo-lib/Demo_Lib-1.0-py3-none-any.whl' });
    expect(wheel.upstreamPath).toBeUndefined();
    expect(wheel.metadata.docKey).toBe('simple/demo-lib');
    expect(artifact('files/demo-lib/demo-lib-1.0.tar.gz').path).toBe('files/demo-lib/demo-lib-1.0.tar.gz');
    expect(artifact('files/demo-lib/Demo_Lib-1.0-py3-none-any.whl.metadata').path).toBe('files/demo-lib/Demo_Lib-1.0-py3-none-any.whl.metadata');
    // pip quotes "!" and "+" in the URLs it is given.
    expect(artifact('files/demo-lib/demo_lib-1%211.0%2Blocal-py3-none-any.whl').path).toBe('files/demo-lib/demo_lib-1!1.0+local-py3-none-any.whl');
    expect(artifact('files/Demo.Lib/demo_lib-1.0.zip').package).toBe('demo-lib');
  });

  it('routes the JSON API', () => {
    expect(metadata('pypi/Requests/json')).toMatchObject({ package: 'requests', docKey: 'json/requests', upstreamPath: 'pypi/requests/json', variant: 'project' });
    expect(metadata('pypi/requests/2.32.3/json')).toMatchObject({ docKey: 'json/requests/2.32.3', upstreamPath: 'pypi/requests/2.32.3/json', variant: 'release' });
  });

  it('refuses traversal, bad names and files of other projects', () => {
    expect(refusal('files/demo-lib/..%2f..%2fetc%2fpasswd').status).toBe(400);
    expect(refusal('files/demo-lib/..').status).toBe(400);
    expect(refusal('files/..%2f/demo-1.0.tar.gz').status).toBe(400);
    expect(refusal('simple/..%2f..%2f/').status).toBe(400);
    expect(refusal('simple/-bad-/').status).toBe(400);
    expect(refusal('simple/a%zz/').status).toBe(400);
    expect(refusal('pypi/requests/..%2f/json').status).toBe(400);
    const other = refusal('files/demo-lib/other-1.0.tar.gz');
    expect(other.status).toBe(404);
    expect(other.message).toBe('other-1.0.tar.gz is not a wheel, sdist or egg of the Python project demo-lib');
    expect(refusal('files/demo-lib/demo_lib-1.0.win32.exe').status).toBe(404);
  });

  it('answers 404 for other paths and 405 for uploads', () => {
    expect(refusal('').status).toBe(404);
    expect(refusal('simple/requests/extra').status).toBe(404);
    expect(refusal('files/demo-lib').status).toBe(404);
    expect(refusal('legacy/').status).toBe(404);
    const upload = refusal('legacy/', { method: 'POST' });
    expect(upload.status).toBe(405);
    expect(upload.message).toMatch(/read-only Python package index/);
  });
});

describe('PEP 691 negotiation', () => {
  it('picks the acceptable format with the highest q', () => {
    expect(negotiate(PIP_ACCEPT)).toBe('json');
    expect(negotiate('application/vnd.pypi.simple.v1+json;q=0.5, application/vnd.pypi.simple.v1+html')).toBe('html');
    expect(negotiate('application/vnd.pypi.simple.latest+json')).toBe('json');
    expect(negotiate('text/html')).toBe('text-html');
  });

  it('serves HTML when nothing acceptable is asked for, and never a format with q=0', () => {
    expect(negotiate(undefined)).toBe('text-html');
    expect(negotiate('*/*')).toBe('text-html');
    expect(negotiate('application/xml')).toBe('text-html');
    expect(negotiate('application/vnd.pypi.simple.v1+json; q=0, application/vnd.pypi.simple.v1+html')).toBe('html');
  });
});

describe('pypi errors', () => {
  it('puts the reason in the body and in the status line, which pip prints', () => {
    expect(pypi.errorBody(403, 'refused by policy: demo@2.0 ...')).toEqual({
      contentType: 'text/plain; charset=utf-8',
      body: 'refused by policy: demo@2.0 ...\n',
      statusMessage: 'refused by policy: demo@2.0 ...',
    });
  });
});
