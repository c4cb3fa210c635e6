import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

const KEEP_ALIVE_MS = 60_000;

/**
 * kafkajs' own socket factory, with one difference: unref() of a socket that is not connected adds
 * nothing. Node answers unref() on a socket without a handle (still connecting, or already failed) by
 * adding a 'connect' listener, and kafkajs calls it at every disconnect: a broker that is gone made a
 * run print "MaxListenersExceededWarning ... 11 connect listeners added to [Socket]". A failed socket has
 * nothing to unref; a connecting one is unref'd once, when it connects.
 */
export const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket: Socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_MS);
  guardUnref(socket);
  return socket;
};

/** See socketFactory. Exported for its test. */
export function guardUnref(socket: Socket): void {
  const unref = socket.unref.bind(socket);
  let deferred = false;
  socket.unref = () => {
    if (socket.destroyed) return socket;
    if (socket.connecting) {
      if (deferred) return socket;
      deferred = true;
    }
    return unref();
  };
}
