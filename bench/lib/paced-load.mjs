// Open-loop load at a fixed rate, for latency at a given throughput. autocannon's rate limit sends
// each connection's quota for the second as fast as it can and then waits for the next second, so
// "80% of peak" would really be bursts at 100%; here request i is due at start + i / rate whatever
// happened before it, and its latency counts from that due time (no coordinated omission).
//
// It speaks HTTP/1.1 over raw keep-alive sockets with the requests serialised once up front: the
// generator shares the 2 cores with the server, and node's http client cost about three times the
// CPU per request, which showed up as the server's latency.
import net from 'node:net';
import { percentile } from './stats.mjs';

const HEADER_END = Buffer.from('\r\n\r\n');

function serialise(r, host) {
  const body = Buffer.from(r.body ?? '');
  const headers = { host, connection: 'keep-alive', ...r.headers, 'content-length': String(body.length) };
  const head = `${r.method} ${r.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Reads HTTP/1.1 responses with a Content-Length from one socket; calls onResponse(status) per response. */
function responseReader(onResponse, onError) {
  let buffered = Buffer.alloc(0);
  let bodyLeft = -1;
  let status = 0;
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (bodyLeft < 0) {
        const end = buffered.indexOf(HEADER_END);
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!m) return onError(new Error('response without content-length'));
        bodyLeft = Number(m[1]);
        buffered = buffered.subarray(end + 4);
      }
      if (buffered.length < bodyLeft) return;
      buffered = buffered.subarray(bodyLeft);
      bodyLeft = -1;
      onResponse(status);
    }
  };
}

export function runPaced({ url, requests, rate, durationSeconds, connections, keepSamples = false }) {
  const { hostname, port } = new URL(url);
  const wire = requests.map((r) => serialise(r, `${hostname}:${port}`));
  const total = Math.round(rate * durationSeconds);
  const intervalMs = 1000 / rate;
  const latencies = new Float64Array(total);
  const samples = [];
  const statusCodes = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  let start = 0;
  const idle = [];
  const waiting = []; // due indexes with no free connection yet
  const sockets = [];

  return new Promise((resolve) => {
    const finish = () => {
      for (const s of sockets) s.destroy();
      const ok = statusCodes[200] ?? 0;
      const elapsed = (performance.now() - start) / 1000;
      const list = Array.from(latencies.subarray(0, done - errors));
      resolve({
        ok,
        non2xx: done - errors - ok,
        errors,
        timeouts: 0,
        durationSeconds: elapsed,
        rps: ok / elapsed,
        statusCodes,
        latencyMs: {
          mean: list.reduce((a, b) => a + b, 0) / list.length,
          p50: percentile(list, 50),
          p90: percentile(list, 90),
          p99: percentile(list, 99),
          p99_9: percentile(list, 99.9),
          max: list.reduce((a, b) => Math.max(a, b), 0),
        },
        ...(keepSamples ? { samples } : {}),
      });
    };
    const send = (conn, i) => {
      conn.inFlight = i;
      conn.socket.write(wire[i % wire.length]);
    };
    const release = (conn) => {
      const next = waiting.shift();
      if (next === undefined) idle.push(conn);
      else send(conn, next);
    };
    const open = () => {
      const conn = { socket: net.connect({ host: hostname, port: Number(port), noDelay: true }), inFlight: -1 };
      conn.socket.on(
        'data',
        responseReader(
          (status) => {
            const due = conn.inFlight * intervalMs;
            const latency = performance.now() - start - due;
            latencies[done - errors] = latency;
            if (keepSamples) samples.push([due, latency]);
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            conn.inFlight = -1;
            if (++done === total) return finish();
            release(conn);
          },
          (err) => conn.socket.destroy(err),
        ),
      );
      conn.socket.on('error', () => undefined);
      conn.socket.on('close', () => {
        // A lost connection: count its request as an error and replace the connection.
        if (conn.inFlight >= 0) {
          errors++;
          conn.inFlight = -1;
          if (++done === total) return finish();
        }
        const at = idle.indexOf(conn);
        if (at >= 0) idle.splice(at, 1);
        if (done < total) {
          const fresh = open();
          fresh.socket.once('connect', () => release(fresh));
        }
      });
      sockets.push(conn.socket);
      return conn;
    };
    let connected = 0;
    for (let c = 0; c < connections; c++) {
      const conn = open();
      conn.socket.once('connect', () => {
        idle.push(conn);
        if (++connected === connections) begin();
      });
    }
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (sent < due) {
        const conn = idle.pop();
        if (conn) send(conn, sent);
        else waiting.push(sent);
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
    };
    const begin = () => {
      start = performance.now() + 20;
      setTimeout(tick, 20);
    };
  });
}
