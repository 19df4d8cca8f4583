// Open-loop load at a fixed rate, for latency at a given throughput. autocannon's rate limit sends
// each connection's quota for the second as fast as it can and then waits for the next second, so
// "80% of peak" would really be bursts at 100%; here request i is due at start + i / rate whatever
// happened before it, and its latency counts from that due time (no coordinated omission).
import http from 'node:http';
import { percentile } from './stats.mjs';

export function runPaced({ url, requests, rate, durationSeconds, connections }) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * durationSeconds);
  const intervalMs = 1000 / rate;
  const latencies = [];
  const statusCodes = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  const start = performance.now() + 20;

  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      const ok = statusCodes[200] ?? 0;
      const elapsed = (performance.now() - start) / 1000;
      resolve({
        ok,
        non2xx: done - errors - ok,
        errors,
        timeouts: 0,
        durationSeconds: elapsed,
        rps: ok / elapsed,
        statusCodes,
        latencyMs: {
          mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
          p50: percentile(latencies, 50),
          p90: percentile(latencies, 90),
          p99: percentile(latencies, 99),
          p99_9: percentile(latencies, 99.9),
          max: Math.max(...latencies),
        },
      });
    };
    const settle = () => {
      if (++done === total) finish();
    };
    const fire = (i) => {
      const due = start + i * intervalMs;
      const r = requests[i % requests.length];
      const req = http.request({ agent, hostname, port, method: r.method, path: r.path, headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body ?? '') } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - due);
          statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
          settle();
        });
      });
      req.on('error', () => {
        errors++;
        settle();
      });
      req.end(r.body);
    };
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 20);
  });
}
