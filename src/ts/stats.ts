import { binding, type Stats } from './binding';

export type { Stats } from './binding';

/** Live native records in this environment: a leak test expects all three back at zero. */
export function stats(): Stats {
  return binding.stats();
}
