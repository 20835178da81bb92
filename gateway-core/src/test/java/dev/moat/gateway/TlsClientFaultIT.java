package dev.moat.gateway;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.proxy.FrontendHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * What a client can send a TLS listener is no fault of the gateway's own (session 44's review of
 * the 500 answer for faults): plaintext on the TLS port, or a broken TLS record in the middle of a
 * request body, reach the front end as Netty's {@code DecoderException} (the {@code SSLException}
 * it wraps is an I/O error). They were logged at WARN with a stack trace (and, for plaintext, the
 * client's bytes hex-dumped in the message), one per connection any remote client can open, and a
 * broken record mid-request was answered 500 and counted {@code internal_error}. They are the
 * client's connection failing: closed, logged at debug, counted {@code client_closed}.
 */
class TlsClientFaultIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static Path dir;

    @BeforeAll
    static void certificate() throws Exception {
        dir = Files.createTempDirectory("moat-tls-fault");
        Gateway.selfSignedCertificate(dir);
    }

    @AfterAll
    static void clean() throws Exception {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    static Gateway start() throws Exception {
        String yaml = Gateway.tlsEcho(dir);
        return Gateway.start(yaml, upstream.baseUri());
    }

    /** The front end's log events at WARN or above while {@code body} runs. */
    static List<ILoggingEvent> warnings(ThrowingRunnable body) throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger front = context.getLogger(FrontendHandler.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        front.addAppender(events);
        try {
            body.run();
            Thread.sleep(200); // the channel's close runs on its event loop
        } finally {
            front.detachAppender(events);
        }
        return events.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .toList();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static String readAll(InputStream in) throws Exception {
        return new String(in.readAllBytes(), ISO_8859_1);
    }

    @Test
    void plaintextOnTheTlsPortIsNoWarning() throws Exception {
        try (Gateway gw = start()) {
            List<ILoggingEvent> warned = warnings(() -> {
                for (int i = 0; i < 3; i++) {
                    try (Socket s = new Socket("127.0.0.1", gw.server.port())) {
                        s.setSoTimeout(5_000);
                        s.getOutputStream()
                                .write(("GET /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + Gateway.ALICE
                                                + "\r\n\r\n")
                                        .getBytes(ISO_8859_1));
                        s.getOutputStream().flush();
                        try {
                            readAll(s.getInputStream());
                        } catch (java.net.SocketException reset) {
                            // closed with the plaintext unread: a reset is as good as EOF here
                        }
                    }
                }
            });
            assertThat(warned).as("%s", warned).isEmpty();
            assertThat(gw.metrics()).doesNotContain("outcome=\"internal_error\",route=\"none\"");
        }
    }

    @Test
    void aBrokenTlsRecordMidRequestIsNoInternalError() throws Exception {
        try (Gateway gw = start()) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(dir.resolve("cert.pem"))) {
                trust.setCertificateEntry(
                        "moat", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLSv1.2");
            ssl.init(null, tmf.getTrustManagers(), null);
            List<ILoggingEvent> warned = warnings(() -> {
                try (Socket raw = new Socket("127.0.0.1", gw.server.port());
                        SSLSocket s = (SSLSocket)
                                ssl.getSocketFactory().createSocket(raw, "localhost", raw.getPort(), false)) {
                    raw.setSoTimeout(5_000);
                    s.startHandshake();
                    OutputStream out = s.getOutputStream();
                    out.write(("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + Gateway.ALICE
                                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n0123456789")
                            .getBytes(ISO_8859_1));
                    out.flush();
                    Thread.sleep(300); // admitted, its body streaming upstream
                    // an application-data record the session's keys did not seal: bad_record_mac
                    byte[] forged = new byte[5 + 64];
                    forged[0] = 0x17;
                    forged[1] = 0x03;
                    forged[2] = 0x03;
                    forged[4] = 64;
                    for (int i = 5; i < forged.length; i++) {
                        forged[i] = (byte) (i * 37);
                    }
                    raw.getOutputStream().write(forged);
                    raw.getOutputStream().flush();
                    try {
                        readAll(raw.getInputStream());
                    } catch (java.net.SocketException reset) {
                        // the connection is cut: as good as EOF here
                    }
                }
            });
            String metrics = gw.metrics();
            assertThat(warned).as("%s", warned).isEmpty();
            assertThat(metrics)
                    .contains("moat_requests_total{outcome=\"internal_error\",route=\"/echo\"} 0.0")
                    .contains("moat_requests_total{outcome=\"client_closed\",route=\"/echo\"} 1.0");
        }
    }
}
