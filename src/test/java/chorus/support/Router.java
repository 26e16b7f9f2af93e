package chorus.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A router in front of several instances, as Heroku's is: each new connection goes to the next
 * running instance in turn (one that refuses the connection is skipped), and an instance told to
 * stop gets no new connection from the moment it is taken out. Bytes are piped both ways by two
 * small daemon threads per connection. For a while it can also hold some new connections and
 * never answer them, as a connection sent to an instance that stopped accepting would be.
 */
public final class Router implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Integer> instances = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger arrivals = new AtomicInteger();
    private volatile int hangEvery;
    private volatile long hangUntil;

    public Router() throws IOException {
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        start(this::accept);
    }

    public int port() {
        return listener.getLocalPort();
    }

    public void add(int port) {
        instances.add(port);
    }

    /** No new connection goes to this instance (it was sent SIGTERM); those open stay until it closes them. */
    public void remove(int port) {
        instances.remove(Integer.valueOf(port));
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                start(() -> route(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** For the next {@code millis}, every {@code every}-th new connection is held and never answered. */
    public void hang(int every, long millis) {
        hangUntil = System.nanoTime() + millis * 1_000_000;
        hangEvery = every;
    }

    private void route(Socket client) {
        open.add(client);
        int every = hangEvery;
        if (every > 0 && System.nanoTime() < hangUntil && arrivals.incrementAndGet() % every == 0) return; // held until the router closes
        for (int tries = 0; tries < Math.max(1, instances.size()); tries++) {
            List<Integer> now = List.copyOf(instances);
            if (now.isEmpty()) break;
            int port = now.get(Math.floorMod(next.getAndIncrement(), now.size()));
            try {
                Socket instance = new Socket("127.0.0.1", port);
                open.add(instance);
                start(() -> pipe(client, instance));
                pipe(instance, client);
                return;
            } catch (IOException refused) {
                // not running: the next one
            }
        }
        close(client);
    }

    private static void start(Runnable task) {
        Thread thread = new Thread(null, task, "router", 256 * 1024);
        thread.setDaemon(true);
        thread.start();
    }

    private void pipe(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) out.write(buffer, 0, n);
        } catch (IOException ended) {
            // one side went: both go
        } finally {
            close(from);
            close(to);
        }
    }

    private void close(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : open) close(socket);
    }
}
