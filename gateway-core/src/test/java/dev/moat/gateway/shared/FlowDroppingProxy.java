package dev.moat.gateway.shared;

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
 * A TCP relay to redis-server that can drop the flows of the connections that subscribed, as a
 * NAT or a firewall drops an idle flow: both ends stay open and nothing passes either way. Other
 * connections, and new ones, pass.
 */
final class FlowDroppingProxy implements AutoCloseable {

    private static final class Flow {
        final Socket client;
        final Socket server;
        volatile boolean subscribed;
        volatile boolean dropped;

        Flow(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }
    }

    private final ServerSocket listener;
    private final int target;
    private final List<Flow> flows = new CopyOnWriteArrayList<>();
    private volatile boolean partitioned;

    FlowDroppingProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** From now on the connections that have subscribed pass nothing, and are not closed. */
    void dropSubscribedFlows() {
        flows.forEach(f -> f.dropped |= f.subscribed);
    }

    /** A partition: from now on every connection, open or new, passes nothing, and none is closed. */
    void cutOff() {
        partitioned = true;
        flows.forEach(f -> f.dropped = true);
    }

    /**
     * The partition heals: new connections pass, and the cut ones are closed (as a firewall resets a
     * flow whose state it dropped), so the client connects again.
     */
    void heal() {
        partitioned = false;
        for (Flow f : flows) {
            if (f.dropped) {
                close(f.client);
                close(f.server);
                flows.remove(f);
            }
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Flow f = new Flow(client, new Socket(InetAddress.getLoopbackAddress(), target));
                f.dropped = partitioned;
                flows.add(f);
                daemon(() -> relay(f, f.client, f.server, true));
                daemon(() -> relay(f, f.server, f.client, false));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void relay(Flow f, Socket from, Socket to, boolean fromClient) {
        byte[] buf = new byte[8192];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) != -1) {
                if (fromClient
                        && new String(buf, 0, n, StandardCharsets.ISO_8859_1)
                                .toUpperCase(Locale.ROOT)
                                .contains("SUBSCRIBE")) {
                    f.subscribed = true;
                }
                if (!f.dropped) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // closed
        }
        if (!f.dropped) {
            close(f.client);
            close(f.server);
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "flow-dropping-proxy");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closed already
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Flow f : flows) {
            close(f.client);
            close(f.server);
        }
    }
}
