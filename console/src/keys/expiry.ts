/** The create form's expiry choices (DESIGN.md: never, 30/60/90 days, a date). */
export const EXPIRY_CHOICES = [
  ['never', 'Never'],
  ['30', '30 days'],
  ['60', '60 days'],
  ['90', '90 days'],
  ['date', 'On a date…'],
] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number][0];

const DAY = 86_400;

/** The API's fields for a choice: `expires_in` seconds, or `expires_at` at the end of the chosen local day. */
export function expiryFields(choice: ExpiryChoice, date: string): { expires_in?: number; expires_at?: string } {
  if (choice === 'never') return {};
  if (choice === 'date') return date ? { expires_at: new Date(`${date}T23:59:59`).toISOString() } : {};
  return { expires_in: Number(choice) * DAY };
}

/** Words separated by spaces, commas or new lines, without repeats. */
export const words = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter(Boolean))];
