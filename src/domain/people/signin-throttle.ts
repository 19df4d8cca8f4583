import { createHash } from 'node:crypto';
import type { Config } from '../../config.js';
import type { RedisKeys } from '../../storage/redis/client.js';
import { AppError } from '../../errors.js';
import type { RateCounters } from '../seams.js';

const WINDOW_MS = 15 * 60_000;

type ThrottleDeps = { config: Config; rateCounters: RateCounters; redisKeys: RedisKeys };

// No email in Redis key names: a hash still tells counters apart.
const accountOf = (email: string) => createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 22);

function counterKeys(deps: ThrottleDeps, email: string, ip: string) {
  const account = accountOf(email);
  return {
    ip: `${deps.redisKeys.rateLimit('signin-ip')}${ip}`,
    account: `${deps.redisKeys.rateLimit('signin-account')}${account}`,
    pair: `${deps.redisKeys.rateLimit('signin-account-ip')}${account}:${ip}`,
  };
}

/**
 * Refuses a sign-in from an address that has failed too often, in all or on this account. An
 * account under attack is closed only to the addresses that failed on it: the owner, signing in
 * from an address with no failure, is never locked out by someone else's guesses.
 */
export async function assertSignInAllowed(deps: ThrottleDeps, email: string, ip: string): Promise<void> {
  const k = counterKeys(deps, email, ip);
  const states = await deps.rateCounters
    .apply(WINDOW_MS, [
      [k.ip, 'peek'],
      [k.account, 'peek'],
      [k.pair, 'peek'],
    ])
    .catch(() => undefined); // Redis down: fail open, as every other limit does
  if (!states) return;
  const [byIp, byAccount, byPair] = states;
  const { signinFailuresPerIp: perIp, signinFailuresPerAccount: perAccount } = deps.config;
  const limited =
    (byIp && byIp.hits >= perIp ? byIp : undefined) ??
    (byPair && byPair.hits >= perAccount ? byPair : undefined) ??
    (byAccount && byPair && byAccount.hits >= perAccount && byPair.hits > 0 ? byAccount : undefined);
  if (limited) {
    throw new AppError(
      'rate_limited',
      'too many failed sign-ins, retry later',
      { reason: 'signin_throttled' },
      { retryAfterSeconds: Math.ceil(limited.resetMs / 1000) },
    );
  }
}

export async function recordSignInFailure(deps: ThrottleDeps, email: string, ip: string): Promise<void> {
  const k = counterKeys(deps, email, ip);
  await deps.rateCounters
    .apply(WINDOW_MS, [
      [k.ip, 'incr'],
      [k.account, 'incr'],
      [k.pair, 'incr'],
    ])
    .catch(() => undefined);
}
