import type { FastifyRequest } from 'fastify';
import type { CacheOutcome } from './metadata-cache.js';

/** What a request turned out to be, for its log line and metrics. */
export interface RequestState {
  ecosystem: string;
  kind: 'metadata' | 'artifact' | 'passthrough' | 'none';
  cache?: CacheOutcome;
}

declare module 'fastify' {
  interface FastifyRequest {
    state: RequestState | null;
  }
}

export function stateOf(request: FastifyRequest): RequestState {
  request.state ??= { ecosystem: 'none', kind: 'none' };
  return request.state;
}
