import type { Labhub } from './labhub.js';
import type { Child } from './processes.js';

export interface SourceReady {
  ports: { frames: number; echo: number; lines: number };
  frameBytes: number;
}

/** What every gateway row shares: one labhub over the bench runtime, the source process, wetty. */
export interface BenchContext {
  quick: boolean;
  labhub: Labhub;
  source: Child<SourceReady>;
  /** Bytes the frames source sends per connection. */
  frameTotal: number;
  wettyPort: number;
  wettyPid: number;
}
