import { describe, expect, it } from 'vitest';
import { configSchema } from '../../shared/config/schema.js';
import { HttpError } from '../../shared/http-error.js';
import { upstreamUrls } from '../../shared/upstream/urls.js';

const config = configSchema.parse({ upstreams: { npm: ['https://registry.example/npm/', 'https://mirror.example/'] } });

describe('upstream URLs', () => {
  it('joins a path onto every upstream, in order, keeping encodings and the query', () => {
    expect(upstreamUrls(config, 'npm', '@babel%2fcore')).toEqual(['https://registry.example/npm/@babel%2fcore', 'https://mirror.example/@babel%2fcore']);
    expect(upstreamUrls(config, 'npm', '-/v1/search?text=a/../b')).toEqual([
      'https://registry.example/npm/-/v1/search?text=a/../b',
      'https://mirror.example/-/v1/search?text=a/../b',
    ]);
  });

  it.each(['-/../react', '-/%2e%2e/react', '-/.%2E/react', '-/%2E%2E/%40babel%2fcore', '-/v1/../../react', '-/..\\react', '-/..', './x', 'a/./b'])(
    'refuses %j, which URL parsing would turn into another path',
    (path) => {
      let thrown: unknown;
      try {
        upstreamUrls(config, 'npm', path);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HttpError);
      expect((thrown as HttpError).status).toBe(400);
    },
  );
});
