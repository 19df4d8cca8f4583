import { ConfigError, loadConfig } from '../../src/config.js';

/** The problems loadConfig reports for `env` (none if it loads). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}
