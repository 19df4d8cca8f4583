// Types for scripts/console-types.mjs, imported by test/integration/console-types.test.ts.
export const TYPES_FILE: URL;
export function typesOf(document: unknown): Promise<string>;
export function consoleTypes(): Promise<string>;
