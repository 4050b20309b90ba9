import { describe, expect, it } from 'vitest';
import { normalizeName, versionOfFile } from '../../shared/ecosystems/pypi/names.js';
import { compareVersions, isPrerelease, normalizeVersion } from '../../shared/ecosystems/pypi/versions.js';

describe('PEP 503 names', () => {
  it('normalizes runs of - _ . and case', () => {
    expect(normalizeName('Django')).toBe('django');
    expect(normalizeName('zope.interface')).toBe('zope-interface');
    expect(normalizeName('Foo__Bar-._baz')).toBe('foo-bar-baz');
  });
});

describe('versions of distribution files', () => {
  it('reads wheels, with or without a build tag', () => {
    expect(versionOfFile('demo-lib', 'Demo_Lib-1.0-py3-none-any.whl')).toBe('1.0');
    expect(versionOfFile('demo-lib', 'demo_lib-2.0rc1-1-cp311-cp311-manylinux_2_17_x86_64.whl')).toBe('2.0rc1');
    expect(versionOfFile('zope-interface', 'zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')).toBe('6.0');
  });

  it('reads sdists whose names hold dashes', () => {
    expect(versionOfFile('python-dateutil', 'python-dateutil-2.8.2.tar.gz')).toBe('2.8.2');
    expect(versionOfFile('requests', 'requests-2.32.3.tar.gz')).toBe('2.32.3');
    expect(versionOfFile('zope-interface', 'zope.interface-6.0.zip')).toBe('6.0');
    expect(versionOfFile('demo', 'demo-1.0.tar.bz2')).toBe('1.0');
  });

  it('reads eggs', () => {
    expect(versionOfFile('demo-lib', 'demo_lib-0.9-py2.7.egg')).toBe('0.9');
  });

  it('names no version for files of other projects, legacy installers and garbage', () => {
    expect(versionOfFile('demo', 'other-1.0.tar.gz')).toBeUndefined();
    expect(versionOfFile('demo', 'demo-1.0-py3-any.whl')).toBeUndefined();
    expect(versionOfFile('demo', 'demo-1.0.win32.exe')).toBeUndefined();
    expect(versionOfFile('demo', 'demo.tar.gz')).toBeUndefined();
    expect(versionOfFile('demo', 'demo-.tar.gz')).toBeUndefined();
  });

  it('gives a wheel, its sdist and the JSON API one spelling of a version', () => {
    expect(versionOfFile('demo', 'demo-1.0_post1-py3-none-any.whl')).toBe('1.0.post1');
    expect(versionOfFile('demo', 'demo-1.0-post1.tar.gz')).toBe('1.0.post1');
    expect(normalizeVersion('1.0.post1')).toBe('1.0.post1');
  });
});

describe('PEP 440 versions', () => {
  it('normalizes spellings', () => {
    expect(normalizeVersion('1.0-RC1')).toBe('1.0rc1');
    expect(normalizeVersion('v2.0.0-alpha.3')).toBe('2.0.0a3');
    expect(normalizeVersion('1.0-1')).toBe('1.0.post1');
    expect(normalizeVersion('1.0.dev')).toBe('1.0.dev0');
    expect(normalizeVersion('01.002')).toBe('1.2');
    expect(normalizeVersion('1!2.0+Ubuntu-1')).toBe('1!2.0+ubuntu.1');
    expect(normalizeVersion('1.0preview2')).toBe('1.0rc2');
    expect(normalizeVersion('Not.A.Version')).toBe('not.a.version');
  });

  it('orders like packaging does', () => {
    const sorted = ['1.0.post1', '1.0', '1.0.dev1', '1.0a1', '1.0rc1', '1.0b2', '0.9', '1!0.1', '1.0.1', '1.0+local', '1.0a1.dev1', '1.10', '1.9'].sort(compareVersions);
    expect(sorted).toEqual(['0.9', '1.0.dev1', '1.0a1.dev1', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0+local', '1.0.post1', '1.0.1', '1.9', '1.10', '1!0.1']);
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
  });

  it('tells pre-releases', () => {
    expect(isPrerelease('2.0rc1')).toBe(true);
    expect(isPrerelease('2.0.dev3')).toBe(true);
    expect(isPrerelease('2.0.post1')).toBe(false);
  });
});
