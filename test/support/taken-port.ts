/** Runs fn with a port of 127.0.0.1 held by another listener (for the "port in use" errors). */
export async function withPortTaken(fn: (port: number) => Promise<void>): Promise<void> {
  const { createServer } = await import('node:net');
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    await fn((blocker.address() as import('node:net').AddressInfo).port);
  } finally {
    blocker.close();
  }
}
