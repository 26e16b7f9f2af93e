package chorus.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on a free loopback port, standing where a load balancer would: it forwards every
 * connection to the instance it currently points at, can cut them all, refuse new WebSocket
 * upgrades (pages still load), or stop passing what the server says (so a client never hears an
 * answer that was sent), or leave a subscriber's connection half-open (what a NAT or load
 * balancer that forgot it leaves: the server's side gone, the client's open and silent).
 */
public final class Relay implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile int target;
    private volatile boolean refusing;
    private volatile boolean deaf; // what servers say is dropped

    public Relay(int target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Where new connections go. */
    public void target(int port) {
        target = port;
    }

    /** While refusing, a new WebSocket upgrade is closed unanswered (the server is unreachable). */
    public void refuse(boolean refuse) {
        refusing = refuse;
    }

    /** While deaf, what servers send is dropped: clients hear nothing, servers hear everything. */
    public void deaf(boolean dropServerBytes) {
        deaf = dropServerBytes;
    }

    /** One relayed connection: a Redis subscriber once it has sent SUBSCRIBE. */
    private static final class Link {
        final Socket client;
        final Socket server;
        volatile boolean subscriber;
        volatile boolean halfOpen; // the server's side is gone; the client's stays open, hearing nothing

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }
    }

    /**
     * Every Redis subscriber connection goes half-open: its server side is closed, its client side
     * stays open and silent (what it sends is swallowed). New connections are relayed as usual.
     */
    public void halfOpenSubscribers() {
        for (Link link : links) {
            if (!link.subscriber) continue;
            link.halfOpen = true;
            close(link.server);
        }
    }

    /** Cuts every connection, as a lost network or a dead instance would. */
    public void cutAll() {
        for (Socket s : open) close(s);
        open.clear();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread t = new Thread(() -> relay(client), "relay-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // the listener closed
            }
        }
    }

    private void relay(Socket client) {
        try {
            byte[] head = refusing ? head(client.getInputStream()) : new byte[0];
            if (refusing && new String(head, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).contains("upgrade: websocket")) {
                client.close();
                return;
            }
            Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
            open.add(client);
            open.add(server);
            server.getOutputStream().write(head);
            Link link = new Link(client, server);
            links.add(link);
            pipe(link, false);
            pipe(link, true);
        } catch (IOException e) {
            close(client); // the target refused: the client sees its socket close
        }
    }

    /** The request head, read byte by byte up to its blank line. */
    private static byte[] head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') break;
        }
        return head.toByteArray();
    }

    private void pipe(Link link, boolean fromServer) {
        Socket from = fromServer ? link.server : link.client;
        Socket to = fromServer ? link.client : link.server;
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!fromServer && new String(buffer, 0, n, StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT)
                            .contains("SUBSCRIBE")) {
                        link.subscriber = true;
                    }
                    if (link.halfOpen || fromServer && deaf) continue;
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // cut: close both ends below
            }
            if (link.halfOpen) { // the client's side stays open until the client gives up on it
                if (!fromServer) close(link.client);
                close(link.server);
                return;
            }
            close(from);
            close(to);
        }, "relay-pipe");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        cutAll();
    }
}
