const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** "90d", "12h", "15m", "3600s" or bare seconds → seconds; undefined when malformed. */
export function parseDurationSeconds(value: string): number | undefined {
  const m = /^(\d{1,9})([smhdw]?)$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * UNIT_SECONDS[m[2] || 's']!;
  return n > 0 ? n : undefined;
}
