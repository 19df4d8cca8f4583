import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/** The TypeScript examples of both READMEs must compile against the SDK's types. */
describe('README TypeScript examples', () => {
  it('type-check against @scope-auth/sdk', async () => {
    const blocks = ['README.md', 'sdk/README.md'].flatMap((file) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({
        name: `${file.replace(/\W/g, '_')}_${i}.ts`,
        code: m[1]!,
      })),
    );
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    // Inside the repository, so `@scope-auth/sdk` resolves through the workspace link.
    const dir = mkdtempSync(join(root, 'test', '.docs-'));
    try {
      for (const b of blocks) writeFileSync(join(dir, b.name), `${b.code}\nexport {};\n`);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
            // This checkout's SDK sources, whatever node_modules links to: the published types are
            // emitted from them, and sdk/dist may be rewritten by a build while this runs.
            paths: { '@scope-auth/sdk': [join(root, 'sdk', 'src', 'index.ts')] },
          },
          include: ['*.ts'],
        }),
      );
      await run('npx', ['tsc', '-p', join(dir, 'tsconfig.json')], { cwd: root }).catch((err: { stdout: string }) => {
        throw new Error(`README examples do not compile:\n${err.stdout}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
