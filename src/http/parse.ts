import type { z } from 'zod';
import { AppError } from '../errors.js';

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `"${path}" is required`;
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 64)}"`).join(', ')}`;
  const message = issue.message.replace(/^Invalid (input|option): /, '');
  return `"${path}": ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

/** The one place request input is validated: zod failures become 400 invalid_request naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError('invalid_request', describe(result.error.issues[0]!), { issues: result.error.issues.length });
}
