import { resolve } from 'node:path';
import { z } from 'zod';
import { checkIssuer, checkTrustProxy, corsOriginProblem, trustProxyProblem } from './config/network.js';
import { redisTopology } from './config/redis-topology.js';
import { checkEncryptionKey, checkPepper, readSecretFiles, type SecretCheck } from './config/secrets.js';
import { tracingConfig, tracingEnv } from './config/tracing.js';

/** Thrown when the environment cannot produce a valid Config; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const refineWith = (ctx: z.RefinementCtx, problem: string | undefined) => {
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
};

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  // TCP port and interface the HTTP server listens on.
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Postgres connection string: the source of truth for keys, signing keys, revocations, audit.
  // Unset: the embedded PostgreSQL (PGlite) in DATA_DIR, for one instance.
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  // Where the embedded store keeps its data (used only without DATABASE_URL); default ./scope-auth-data.
  DATA_DIR: z.string().min(1).default('./scope-auth-data'),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  // Redis: revocation list, pub/sub, rate limits. Prefix isolates several deployments on one server.
  // At most one of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; none: the revocation list, instance
  // bus and rate-limit counters live in the process (one instance).
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  // Sentinel: the sentinels as host:port,… and the name of the master group they watch.
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).max(200).optional(),
  // Cluster: some of its nodes as host:port,… (the rest are discovered).
  REDIS_CLUSTER_NODES: z.string().optional(),
  // Sentinel or Cluster only (a REDIS_URL carries its own): ACL user and password of the Redis
  // servers, the sentinels' own password, TLS on every connection and its CA bundle (PEM file).
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS: bool.default(false),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9:_.-]*$/)
    .default('scope-auth:'),
  // Longest wait for one Redis command, milliseconds; a hung Redis is then treated like a dead one.
  REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000).default(1_000),
  // The `iss` claim and the base of every URL in discovery metadata; ≤ 256 characters, so every
  // token fits its length bound.
  // Default http://localhost:$PORT.
  ISSUER: z
    .url({ protocol: /^https?$/ })
    .max(256)
    .optional(),
  // `aud` for keys created with no audiences; defaults to ISSUER.
  DEFAULT_AUDIENCE: z.string().min(1).max(256).optional(),
  // Audience a token must carry to call the management API; defaults to ISSUER.
  MANAGEMENT_AUDIENCE: z.string().min(1).max(256).optional(),
  // Access-token lifetime, seconds (default 900 = 15 minutes).
  TOKEN_TTL_SECONDS: int(60, 86_400).default(900),
  // Algorithm of new signing keys (default ES256, which every common verifier accepts); a change
  // takes effect through a pre-published rotation at start-up, never by breaking live tokens.
  SIGNING_ALG: z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'),
  // HMAC key for stored secrets (≥ 32 characters). Changing it invalidates every API key.
  SECRET_PEPPER: z.string().min(32).optional(),
  // 32 bytes, base64 or hex: encrypts signing private keys at rest (AES-256-GCM).
  KEY_ENCRYPTION_KEY: z.string().optional(),
  // Max-age of the JWKS response, seconds (default 300).
  JWKS_MAX_AGE_SECONDS: int(0, 86_400).default(300),
  // How often every instance reloads the signing-key table, seconds (default 30).
  SIGNING_KEY_REFRESH_SECONDS: int(1, 3_600).default(30),
  // Days between automatic signing-key rotations; 0 turns automatic rotation off (default 90).
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().min(0).max(3650).default(90),
  // How often last_used_at and refused-exchange audit records are written, seconds (default 30).
  LAST_USED_FLUSH_SECONDS: int(1, 60).default(30),
  // How often counted exchanges are written (seconds), and how many days of hourly usage are kept.
  USAGE_FLUSH_SECONDS: int(1, 60).default(10),
  USAGE_RETENTION_DAYS: int(1, 3_650).default(90),
  // Key records cached per process (about 0.5 KB each); misses read Postgres.
  KEY_CACHE_SIZE: int(0, 10_000_000).default(50_000),
  // How long a revoke waits for every instance to confirm it dropped the key, milliseconds.
  REVOCATION_ACK_TIMEOUT_MS: int(0, 10_000).default(500),
  // express "trust proxy": false, a hop count, or a comma-separated list of CIDRs/names; `true`
  // (trust every hop) is refused in production.
  TRUST_PROXY: z
    .string()
    .default('false')
    .superRefine((v, ctx) => refineWith(ctx, trustProxyProblem(v))),
  // Comma-separated origins allowed by CORS on the public endpoints; empty = CORS off.
  CORS_ORIGINS: list.default([]).superRefine((v, ctx) => refineWith(ctx, corsOriginProblem(v))),
  // Token endpoint: requests per minute per client IP, per key ID, and failed attempts per (IP, key ID).
  RATE_LIMIT_TOKEN_PER_IP: int(0, 1_000_000).default(600),
  RATE_LIMIT_TOKEN_PER_KEY: int(0, 1_000_000).default(300),
  RATE_LIMIT_FAILED_PER_IP_KEY: int(0, 10_000).default(10),
  // Management API: requests per minute per org.
  RATE_LIMIT_MANAGEMENT_PER_ORG: int(0, 1_000_000).default(600),
  // Single sign-on start and callback: requests per minute per client IP.
  RATE_LIMIT_SSO_PER_IP: int(0, 1_000_000).default(30),
  // Single sign-on (OpenID Connect, authorization code + PKCE): all three, or none.
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(256).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(512).optional(),
  // A console session ends after this many minutes without a request (default 30).
  SESSION_IDLE_MINUTES: int(1, 24 * 60).default(30),
  // A console session ends this many hours after sign-in, however busy (default 12).
  SESSION_MAX_HOURS: int(1, 24 * 30).default(12),
  // Failed sign-ins per account per 15 minutes before that account's sign-ins from new addresses are slowed (default 10).
  SIGNIN_FAILURES_PER_ACCOUNT: int(1, 1_000_000).default(10),
  // Failed sign-ins per address per 15 minutes before that address is refused (default 30).
  SIGNIN_FAILURES_PER_IP: int(1, 1_000_000).default(30),
  RATE_LIMIT_ENABLED: bool.default(true),
  // Time allowed for in-flight requests and flushes after SIGTERM, milliseconds.
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  // After SIGTERM, keep serving (readiness already 503) this long before closing the listener, so a
  // load balancer stops routing here first; milliseconds (default 0).
  SHUTDOWN_DRAIN_MS: int(0, 120_000).default(0),
  // Revocation SSE stream: heartbeat interval, seconds, and open streams allowed per instance.
  SSE_HEARTBEAT_SECONDS: int(1, 300).default(15),
  SSE_MAX_STREAMS: int(1, 100_000).default(1_000),
  // Open revocation streams allowed per client address, and how long one may stay open (seconds) before
  // the server ends it (clients reconnect with Last-Event-ID).
  SSE_MAX_STREAMS_PER_CLIENT: int(1, 100_000).default(10),
  SSE_MAX_STREAM_SECONDS: int(1, 86_400).default(3_600),
  // Bearer token GET /metrics requires; unset = the metrics are public (keep the port internal then).
  METRICS_TOKEN: z.string().min(16).optional(),
  // Also serve GET /metrics on this port (with WORKERS > 1, the primary serves every worker's, summed).
  METRICS_PORT: int(1, 65_535).optional(),
  // How long an idle keep-alive connection stays open, seconds (default 65: longer than the 60 s idle
  // timeout of common load balancers, so they never reuse a connection the server has just closed).
  KEEP_ALIVE_TIMEOUT_SECONDS: int(1, 3_600).default(65),
  // Worker processes for `serve` (node:cluster); 1 runs in-process.
  WORKERS: int(1, 64).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The level of the one access line per request ('silent': none), and the share of successful
  // requests' lines kept (0–1; refusals and failures are always logged).
  ACCESS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ACCESS_LOG_SAMPLE: z.coerce.number().min(0).max(1).default(1),
  // Prometheus metrics and per-key usage counting (both on by default); off, /metrics answers 404 and
  // nothing is counted: for a deployment that wants neither, and for the bench's cost comparison.
  METRICS_ENABLED: bool.default(true),
  USAGE_ENABLED: bool.default(true),
  ...tracingEnv,
});

type Env = z.output<typeof envSchema>;

/** The environment, checked as a whole: secrets, production rules, derived defaults. */
const configSchema = envSchema.transform((e: Env, ctx) => {
  const problems: string[] = [];
  const production = e.NODE_ENV === 'production';
  const devDefaults: string[] = [];
  const check: SecretCheck = { production, problems, devDefaults };
  const pepper = checkPepper(e.SECRET_PEPPER, check);
  const kek = checkEncryptionKey(e.KEY_ENCRYPTION_KEY, check);
  const warnings: string[] = [];
  const oidcSet = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET].filter((v) => v !== undefined).length;
  if (oidcSet !== 0 && oidcSet !== 3)
    problems.push('OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three for single sign-on, or none');
  const redis = redisTopology(e, problems);
  const trustProxy = checkTrustProxy(e.TRUST_PROXY, production, problems, warnings);
  const issuer = checkIssuer(e.ISSUER, e.PORT, e.NODE_ENV, problems, warnings);
  if (e.WORKERS > 1 && (e.DATABASE_URL === undefined || e.REDIS_URL === undefined)) {
    problems.push(
      `WORKERS: ${e.WORKERS} processes need a shared store, but ${e.DATABASE_URL === undefined ? 'the embedded database (no DATABASE_URL)' : 'the in-process revocation list and rate limits (no REDIS_URL)'} belong to one process; set DATABASE_URL and REDIS_URL to run several workers, or set WORKERS=1`,
    );
  }
  for (const message of problems) ctx.addIssue({ code: 'custom', message, input: undefined });
  if (problems.length > 0 || pepper === undefined || kek === undefined) return z.NEVER;

  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    /** Unset: the embedded store in `dataDir`. */
    databaseUrl: e.DATABASE_URL,
    /** Absolute. */
    dataDir: resolve(e.DATA_DIR),
    databasePoolMax: e.DATABASE_POOL_MAX,
    /** The standalone server's URL; undefined on Sentinel or Cluster, and in-process (see redisTopology). */
    redisUrl: redis?.kind === 'standalone' ? redis.url : undefined,
    /** Undefined: the revocation list, bus and rate counters live in the process. */
    redisTopology: redis,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    issuer,
    defaultAudience: e.DEFAULT_AUDIENCE ?? issuer,
    managementAudience: e.MANAGEMENT_AUDIENCE ?? issuer,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    signingAlg: e.SIGNING_ALG,
    secretPepper: Buffer.from(pepper, 'utf8'),
    keyEncryptionKey: kek,
    jwksMaxAgeSeconds: e.JWKS_MAX_AGE_SECONDS,
    signingKeyRotationDays: e.SIGNING_KEY_ROTATION_DAYS,
    signingKeyRefreshSeconds: e.SIGNING_KEY_REFRESH_SECONDS,
    lastUsedFlushSeconds: e.LAST_USED_FLUSH_SECONDS,
    keyCacheSize: e.KEY_CACHE_SIZE,
    usageFlushSeconds: e.USAGE_FLUSH_SECONDS,
    usageRetentionDays: e.USAGE_RETENTION_DAYS,
    revocationAckTimeoutMs: e.REVOCATION_ACK_TIMEOUT_MS,
    trustProxy,
    corsOrigins: e.CORS_ORIGINS,
    rateLimit: Object.freeze({
      enabled: e.RATE_LIMIT_ENABLED,
      tokenPerIp: e.RATE_LIMIT_TOKEN_PER_IP,
      tokenPerKey: e.RATE_LIMIT_TOKEN_PER_KEY,
      failedPerIpKey: e.RATE_LIMIT_FAILED_PER_IP_KEY,
      managementPerOrg: e.RATE_LIMIT_MANAGEMENT_PER_ORG,
      ssoPerIp: e.RATE_LIMIT_SSO_PER_IP,
    }),
    /** Undefined unless OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set. */
    oidc:
      e.OIDC_ISSUER !== undefined && e.OIDC_CLIENT_ID !== undefined && e.OIDC_CLIENT_SECRET !== undefined
        ? Object.freeze({ issuer: e.OIDC_ISSUER, clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET })
        : undefined,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionMaxHours: e.SESSION_MAX_HOURS,
    signinFailuresPerAccount: e.SIGNIN_FAILURES_PER_ACCOUNT,
    signinFailuresPerIp: e.SIGNIN_FAILURES_PER_IP,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    sseHeartbeatSeconds: e.SSE_HEARTBEAT_SECONDS,
    sseMaxStreams: e.SSE_MAX_STREAMS,
    sseMaxStreamsPerClient: e.SSE_MAX_STREAMS_PER_CLIENT,
    sseMaxStreamSeconds: e.SSE_MAX_STREAM_SECONDS,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    keepAliveTimeoutSeconds: e.KEEP_ALIVE_TIMEOUT_SECONDS,
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL,
    accessLog: Object.freeze({ level: e.ACCESS_LOG_LEVEL, sample: e.ACCESS_LOG_SAMPLE }),
    metricsEnabled: e.METRICS_ENABLED,
    usageEnabled: e.USAGE_ENABLED,
    tracing: tracingConfig(e),
    /** Names of secrets that fell back to development defaults (empty in production). */
    devDefaults,
    /** Risky settings allowed outside production; logged loudly at start-up. */
    warnings,
  });
});

/** The one definition of the configuration: what the schema above returns. */
export type Config = z.output<typeof configSchema>;
export type SigningAlg = Config['signingAlg'];

/** Reads and validates the environment. Pure but for reading `*_FILE` secrets: tests pass a literal object. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", so `FOO= npm start` does not smuggle in an invalid value.
  const cleaned = Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined && kv[1] !== ''));
  const problems: string[] = [];
  const fileFailed = readSecretFiles(cleaned, problems);
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const message = issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
      // A secret whose file could not be read is already reported as such.
      if (![...fileFailed].some((name) => message.startsWith(`${name}: required`))) problems.push(message);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}
