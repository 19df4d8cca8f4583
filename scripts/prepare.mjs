// `prepare`: npm runs it after `npm ci` / `npm install` in the checkout, which must build. npm also
// runs it when `npx scope-auth` installs this project into npx's cache to run its own bin (npm 10+
// does that for a local package's bin): the checkout is built already then, and building again
// would make the first `npx scope-auth` take 15 s and delete sdk/dist from under whatever uses it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.npm_command === 'exec' && existsSync(new URL('../dist/src/cli.js', import.meta.url))) process.exit(0);
const { status } = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(status ?? 1);
