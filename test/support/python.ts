import { execFile } from 'node:child_process';

/**
 * Debian's interpreter, whose python3-jwt, python3-jwcrypto, python3-authlib, python3-jose,
 * python3-requests and python3-requests-oauthlib the interop tests use.
 */
export const DEBIAN_PYTHON = process.env.TEST_PYTHON ?? '/usr/bin/python3';

/** Runs `script` with `input` on stdin; resolves its stdout, rejects with its stderr. */
export function runPython(script: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(DEBIAN_PYTHON, ['-c', script], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err)
        reject(
          new Error(
            `${DEBIAN_PYTHON} failed (${err.message}); missing packages? apt-get install python3-jwt python3-jwcrypto python3-authlib python3-jose python3-requests python3-requests-oauthlib\n${stderr}`,
          ),
        );
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}
