/**
 * A loopback TCP relay that can cut the network between its clients and a server without
 * closing anything, as a partition or a dead host does: while cut, bytes in both directions are
 * held (TCP would retransmit them) and nothing is delivered; connections stay open and no reset
 * arrives. Healed, the held bytes go through on connections that are still open.
 *
 *   const relay = await startTcpPartition({ host: '127.0.0.1', port: 5432 });
 *   relay.cut(); … relay.heal(); await relay.close();
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpPartition {
  /** The relay's own port on 127.0.0.1. */
  port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

interface Direction {
  from: Socket;
  to: Socket;
  held: Buffer[];
}

export async function startTcpPartition(target: { host: string; port: number }): Promise<TcpPartition> {
  let isCut = false;
  const directions = new Set<Direction>();
  const sockets = new Set<Socket>();
  const deliver = (direction: Direction) => {
    for (const chunk of direction.held.splice(0)) direction.to.write(chunk);
  };
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        for (const other of pair) other.destroy();
        sockets.delete(socket);
      });
    }
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      const direction: Direction = { from, to, held: [] };
      directions.add(direction);
      from.on('close', () => directions.delete(direction));
      from.on('data', (chunk: Buffer) => {
        if (isCut) direction.held.push(chunk);
        else to.write(chunk);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      isCut = true;
    },
    heal: () => {
      isCut = false;
      for (const direction of directions) deliver(direction);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
