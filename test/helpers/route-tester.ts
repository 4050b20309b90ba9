import { expect } from 'vitest';
import type { ArtifactRoute, Ecosystem, MetadataRoute, Route } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';

/** A request as the route tests write it: a method name, or the parts that matter. */
export type RouteRequest = string | { method?: string; accept?: string; query?: string };

/** Shorthands for testing one ecosystem module's route(): what a path becomes, or how it is refused. */
export function routeTester(module: Pick<Ecosystem, 'route'>) {
  const route = (path: string, request: RouteRequest = {}): Route => {
    const { method = 'GET', accept, query = '' } = typeof request === 'string' ? { method: request } : request;
    return module.route(path, { method, accept, query });
  };
  const routeOfKind = <R extends Route>(kind: R['kind'], path: string, request?: RouteRequest): R => {
    const routed = route(path, request);
    expect(routed.kind, path).toBe(kind);
    return routed as R;
  };
  return {
    route,
    metadata: (path: string, request?: RouteRequest) => routeOfKind<MetadataRoute>('metadata', path, request),
    artifact: (path: string, request?: RouteRequest) => routeOfKind<ArtifactRoute>('artifact', path, request),
    /** The HttpError a path is refused with, its reason one non-empty line; fails on any other outcome. */
    refusal(path: string, request?: RouteRequest): HttpError {
      let thrown: unknown;
      try {
        route(path, request);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, `${JSON.stringify(path)} should be refused`).toBeInstanceOf(HttpError);
      const error = thrown as HttpError;
      expect(error.message).not.toBe('');
      expect(error.message).not.toMatch(/[\r\n]/);
      return error;
    },
  };
}
