package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code server.tls}: the gateway serves HTTPS with a PEM certificate and key (made by openssl here). */
class TlsIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    @Test
    void servesHttpsAndForwardsProtoHttps() throws Exception {
        Path dir = Files.createTempDirectory("moat-tls");
        Gateway.selfSignedCertificate(dir);

        String yaml = Gateway.tlsEcho(dir);
        try (Gateway gw = Gateway.start(yaml, upstream.baseUri())) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(dir.resolve("cert.pem"))) {
                trust.setCertificateEntry(
                        "moat", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(ssl)
                    .version(HttpClient.Version.HTTP_1_1)
                    .build();
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create("https://localhost:" + gw.server.port() + "/echo"))
                            .header("Authorization", "Bearer " + Gateway.ALICE)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode h = new ObjectMapper().readTree(r.body()).get("headers");
            assertThat(h.get("x-forwarded-proto").get(0).asText()).isEqualTo("https");
        }
    }
}
