import { afterEach, describe, expect, it } from 'vitest';
import { type Server } from 'node:http';
import { ProducerMetrics, type ProducerTotals, serveMetrics } from '../../producer/src/metrics.ts';

let server: (Server & { port: number }) | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

describe('producer metrics server', () => {
  it('serves counters mirrored from the running totals, the batch latency histogram, and the probes', async () => {
    // GIVEN running totals and a metrics server on a free port
    const totals: ProducerTotals = { generated: 120, stats: { sent: 100, acked: 90, errors: 0, bytes: 54_000 }, inFlight: 2 };
    const metrics = new ProducerMetrics(() => totals);
    server = await serveMetrics(metrics, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${server.port}`;
    metrics.observeBatch(12.5, true);

    // WHEN scraped before and after connecting
    const notReady = await fetch(`${base}/readyz`);
    metrics.readiness = 'ready';
    const ready = await fetch(`${base}/readyz`);
    const health = await fetch(`${base}/healthz`);
    const text = await (await fetch(`${base}/metrics`)).text();
    totals.stats.acked = 100;
    const later = await (await fetch(`${base}/metrics`)).text();

    // THEN the probes answer as Kubernetes expects, and the counters follow the totals
    expect(notReady.status).toBe(503);
    expect(ready.status).toBe(200);
    expect(health.status).toBe(200);
    expect(text).toMatch(/^flight_producer_events_acked_total 90$/m);
    expect(text).toMatch(/^flight_producer_events_sent_total 100$/m);
    expect(text).toMatch(/^flight_producer_acked_bytes_total 54000$/m);
    expect(text).toMatch(/^flight_producer_requests_in_flight 2$/m);
    expect(text).toMatch(/^flight_producer_ready 1$/m);
    expect(text).toMatch(/^flight_producer_batch_latency_ms_count\{outcome="acked"\} 1$/m);
    expect(later).toMatch(/^flight_producer_events_acked_total 100$/m);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
