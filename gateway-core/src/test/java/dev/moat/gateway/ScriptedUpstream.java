package dev.moat.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;

/**
 * A raw-socket upstream for answers no well-behaved server gives: interim 1xx answers, silence,
 * close-delimited bodies, gzip error bodies and event streams. It records every request it read
 * (head, body and trailers, as bytes on the wire) so that a test can prove what was, or was not,
 * forwarded. The answer is chosen by the path's last segment.
 */
final class ScriptedUpstream implements AutoCloseable {

    private final ServerSocket server;
    final List<String> requests = new CopyOnWriteArrayList<>();

    ScriptedUpstream() throws IOException {
        server = new ServerSocket(0);
        Thread t = new Thread(this::acceptLoop, "scripted-upstream");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "scripted-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (; ; ) {
                StringBuilder raw = new StringBuilder();
                String requestLine = line(in);
                if (requestLine == null) {
                    return;
                }
                raw.append(requestLine).append('\n');
                long length = 0;
                boolean chunked = false;
                for (String l; (l = line(in)) != null && !l.isEmpty(); ) {
                    raw.append(l).append('\n');
                    String lower = l.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(l.substring(15).trim());
                    } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        chunked = true;
                    }
                }
                raw.append('\n');
                if (chunked) {
                    for (; ; ) {
                        String size = line(in);
                        raw.append(size).append('\n');
                        int n = Integer.parseInt(size.trim(), 16);
                        if (n == 0) {
                            for (String l; (l = line(in)) != null && !l.isEmpty(); ) {
                                raw.append(l).append('\n'); // trailers
                            }
                            break;
                        }
                        raw.append(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
                        line(in);
                    }
                } else {
                    raw.append(new String(in.readNBytes((int) length), StandardCharsets.ISO_8859_1));
                }
                requests.add(raw.toString());
                String path = requestLine.split(" ")[1];
                String last = path.substring(path.lastIndexOf('/') + 1);
                if (!answer(last, out)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the gateway closed the connection
        }
    }

    /** Writes the scripted answer; false when the connection ends with it. */
    private static boolean answer(String name, OutputStream out) throws IOException {
        switch (name) {
            case "early-hints" ->
                write(
                        out,
                        "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            case "splice-fields" ->
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nX-MiXeD-Case: A\r\nSet-Cookie: a=1\r\n"
                                + "Connection: keep-alive, X-Upstream-Secret\r\nX-Upstream-Secret: s3cr3t-hop\r\n"
                                + "Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nset-cookie: b=2\r\n"
                                + "X-Request-Id: forged-id\r\nVia: 1.0 inner\r\nContent-Type: text/plain\r\n"
                                + "Content-Length: 2\r\n\r\nok");
            case "splice-cr" ->
                write(out, "HTTP/1.1 200 OK\r\nX-Evil: a\rSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok");
            case "splice-lf" ->
                write(out, "HTTP/1.1 200 OK\r\nX-Evil: a\nSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok");
            case "splice-ctl" -> write(out, "HTTP/1.1 200 OK\r\nX-Evil: a\u0001b\r\nContent-Length: 2\r\n\r\nok");
            case "splice-fold" -> write(out, "HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\nok");
            case "splice-two-lengths" ->
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\nContent-Length: 7\r\n\r\nokokokok");
            case "splice-te-cl" ->
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Length: 40\r\nX-A: b\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "2\r\nok\r\n0\r\n\r\n");
            case "continue" ->
                write(out, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            case "silent" -> {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false;
            }
            case "chunked" ->
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            case "gzip-error" -> {
                byte[] gz = gzip("{\"error\": \"model failed\"}");
                write(
                        out,
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                                + "Content-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n");
                out.write(gz);
                out.flush();
            }
            case "gzip-sse" -> {
                byte[] gz = gzip("data: {\"choices\": [{\"text\": \"hi\"}]}\n\ndata: [DONE]\n\n");
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                + "Content-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n");
                out.write(gz);
                out.flush();
            }
            case "one-row" -> {
                // one prediction row whatever the request held (a model that answers a batch as one)
                String one = "{\"predictions\": [[0.25, 0.75]]}";
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + one.length()
                                + "\r\n\r\n" + one);
            }
            case "sse", "digits:predict-sse" -> {
                String events = "data: {\"predictions\": [[0.123456789, 0.876543211]]}\n\n";
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + events.length()
                                + "\r\n\r\n" + events);
            }
            case "completions" -> {
                // n = 2, five alternatives per token (more than the route allows), prompt logprobs
                String alts = "[{\"token\": \"a\", \"logprob\": -0.11111},"
                        + " {\"token\": \"b\", \"logprob\": -2.22222}, {\"token\": \"c\", \"logprob\": -3.33333},"
                        + " {\"token\": \"d\", \"logprob\": -4.44444}, {\"token\": \"e\", \"logprob\": -5.55555}]";
                String choice = "{\"index\": %d, \"message\": {\"role\": \"assistant\", \"content\": \"a\"},"
                        + " \"prompt_logprobs\": [null, {\"7\": {\"logprob\": -1.5}}],"
                        + " \"logprobs\": {\"content\": [{\"token\": \"a\", \"logprob\": -0.11111,"
                        + " \"top_logprobs\": " + alts + "}]}}";
                String json = "{\"id\": \"x\", \"object\": \"chat.completion\", \"choices\": [" + choice.formatted(0)
                        + ", " + choice.formatted(1) + "]}";
                byte[] b = json.getBytes(StandardCharsets.UTF_8);
                write(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                                + "\r\n\r\n");
                out.write(b);
                out.flush();
            }
            default -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
        }
        return true;
    }

    private static byte[] gzip(String s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(s.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
