package chorus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many upgraded sockets that then sit idle: the cheapest way to hold thousands of connections.
 * They are dialled all at once by a fixed number of parallel dialers, as tabs reconnecting after
 * a deploy would, and the time that takes gives the server's connection rate.
 */
final class IdleConnections implements AutoCloseable {
    private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger failed = new AtomicInteger();
    int failures;
    double openedPerSecond;

    /** {@code URL COUNT PARALLEL}: the connection rate alone, against a server already running (for profiling). */
    public static void main(String[] args) throws Exception {
        try (IdleConnections idle = open(URI.create(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]))) {
            System.out.printf("%d opened at %.0f/s, %d failed%n", idle.size(), idle.openedPerSecond, idle.failures);
        }
    }

    static IdleConnections open(URI url, int count, int parallel) throws InterruptedException {
        IdleConnections idle = new IdleConnections();
        ExecutorService dialers = Executors.newFixedThreadPool(parallel);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) dialers.execute(() -> idle.dial(url));
        dialers.shutdown();
        dialers.awaitTermination(5, TimeUnit.MINUTES);
        idle.openedPerSecond = idle.sockets.size() / ((System.nanoTime() - start) / 1e9);
        idle.failures = idle.failed.get();
        return idle;
    }

    private void dial(URI url) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(Handshake.request(url));
            InputStream in = socket.getInputStream();
            byte[] head = in.readNBytes(12);
            if (!new String(head).startsWith("HTTP/1.1 101")) throw new IOException("refused: " + new String(head));
            in.skip(in.available()); // the rest of the response head
            sockets.add(socket);
        } catch (IOException e) {
            failed.incrementAndGet();
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failed; counted above
            }
        }
    }

    int size() {
        return sockets.size();
    }

    @Override
    public void close() throws IOException {
        for (Socket s : sockets) s.close();
    }
}
