package chorus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** Many upgraded sockets that then sit idle: the cheapest way to hold thousands of connections. */
final class IdleConnections implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();
    int failures;

    static IdleConnections open(URI url, int count) {
        IdleConnections idle = new IdleConnections();
        for (int i = 0; i < count; i++) {
            try {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5000);
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(Handshake.request(url));
                InputStream in = socket.getInputStream();
                byte[] head = in.readNBytes(12);
                if (!new String(head).startsWith("HTTP/1.1 101")) throw new IOException("refused: " + new String(head));
                in.skip(in.available()); // the rest of the response head
                idle.sockets.add(socket);
            } catch (IOException e) {
                idle.failures++;
            }
        }
        return idle;
    }

    int size() {
        return sockets.size();
    }

    @Override
    public void close() throws IOException {
        for (Socket s : sockets) s.close();
    }
}
