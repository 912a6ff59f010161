import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from './embedded-kafka.ts';

describe('freePorts', () => {
  it('gives different ports, each free to listen on', async () => {
    // GIVEN many ports asked for at once (a broker needs two: its listener and its controller)
    const ports = await freePorts(20);
    // THEN none repeats
    expect(new Set(ports).size).toBe(20);
    // AND each can be listened on right away
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((listening, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => listening());
      });
      await new Promise<void>((closed) => server.close(() => closed()));
    }
  });
});
