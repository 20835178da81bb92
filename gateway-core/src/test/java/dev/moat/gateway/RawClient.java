package dev.moat.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A plain-socket HTTP/1.1 client for what java.net.http will not send: smuggling attempts,
 * malformed heads, trickled headers, Connection-named fields, abrupt disconnects.
 */
public final class RawClient implements AutoCloseable {

    /** A parsed response. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A client whose connection comes from {@code from} (any 127.0.0.0/8 address on Linux's loopback). */
    public RawClient(int port, java.net.InetAddress from) throws IOException {
        socket = new Socket();
        socket.bind(new java.net.InetSocketAddress(from, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public RawClient timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    public void send(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    public void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** Reads one response (Content-Length, chunked, or until close). */
    public Response readResponse() throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line; (line = readLine()) != null && !line.isEmpty(); ) {
            int c = line.indexOf(':');
            headers.merge(
                    line.substring(0, c).trim().toLowerCase(Locale.ROOT),
                    line.substring(c + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            int n = Integer.parseInt(headers.get("content-length"));
            body.write(in.readNBytes(n));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (; ; ) {
                int size = Integer.parseInt(readLine().trim(), 16);
                if (size == 0) {
                    readLine();
                    break;
                }
                body.write(in.readNBytes(size));
                readLine();
            }
        } else if (status >= 200 && status != 204 && status != 304) {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    public String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /**
     * Reads an HTTP head (through its blank line) from {@code in}, byte by byte so that nothing of
     * the body is consumed; null at end of stream before a whole head.
     */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            last4 = (last4 << 8) | c;
            if (last4 == 0x0D0A0D0A) {
                return b.toString(StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    public InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
