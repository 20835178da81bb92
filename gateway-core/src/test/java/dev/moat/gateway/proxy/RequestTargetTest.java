package dev.moat.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The normalisation table (RFC 3986 section 6 and the gateway's refusals). */
class RequestTargetTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/v1/models/digits:predict | /v1/models/digits:predict",
                "/v1/models/digit%73:predict | /v1/models/digits:predict",
                "/v1/models/DIGIT%53:predict | /v1/models/DIGITS:predict",
                "/v1/models/digits%3apredict | /v1/models/digits:predict",
                "/a/%2e%2E/b | /b",
                "/a/./b/../../%65cho?q=%2F1&x=y | /echo?q=%2F1&x=y",
                "/a//b///c | /a/b/c",
                "/a/b/ | /a/b/",
                "/a/b/. | /a/b/",
                "/a/b/.. | /a/",
                "/.. | /",
                "/../../x | /x",
                "/ | /",
                "/x?a=b?c | /x?a=b?c",
                "http://h.example | /",
                "http://h.example?x=1 | /?x=1",
                "HTTPS://h.example/a/../b?q | /b?q",
                "/a%7Eb%2D%5F%2E | /a~b-_.",
                "/a%21%24%26%27%28%29%2A%2B%2C%3D%40 | /a!$&'()*+,=@",
            })
    void normalises(String raw, String expected) {
        RequestTarget.Result r = RequestTarget.normalise(raw);
        assertThat(r.problem()).isNull();
        assertThat(r.target()).isEqualTo(expected);
        assertThat(r.path())
                .isEqualTo(expected.contains("?") ? expected.substring(0, expected.indexOf('?')) : expected);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "*",
                "v1/x",
                "example.com:443",
                "/a%2Fb",
                "/a%2fb",
                "/a%5Cb",
                "/a\\b",
                "/a;b",
                "/a%3Bb",
                "/a%00b",
                "/a%0d%0a",
                "/a%7F",
                "/a%20b",
                "/a%25",
                "/a%2573",
                "/a%C0%AE",
                "/a%E2%80%AE",
                "/a%",
                "/a%4",
                "/a%G1",
                "/a%\u0661\u0662",
                "/a#frag",
                "/a b",
                "/a\u00e9",
                "/a\tb",
                "/a\"b",
                "/a<b>",
                "/a?b c",
                "/a?b%zz",
                "/a?b%00",
                "/a?b#c",
            })
    void refuses(String raw) {
        assertThat(RequestTarget.normalise(raw).ok()).as(raw).isFalse();
    }

    /**
     * The copy-free path ({@link RequestTarget#alreadyNormal}) answers only when it agrees with the
     * full normalisation, on targets built from the characters that matter: separators, dots,
     * escapes, refused characters, queries.
     */
    @org.junit.jupiter.api.Test
    void theShortcutAgreesWithTheFullPassOnGeneratedTargets() {
        String[] pieces = {
            "/", "/", "a", "Z", "9", ".", "..", "%2e", "%2F", "%41", "%", "%0", "?", "=", "&", ";", "\\", "#", ":", "@",
            "~", "-", " ", "%00", "\u00e9", "!", "$", "'", "*", "+", ",", "[", "]", "\"", "<", "|", "^", "`", "{"
        };
        java.util.Random random = new java.util.Random(15);
        int shortcuts = 0;
        for (int n = 0; n < 200_000; n++) {
            StringBuilder sb = new StringBuilder("/");
            int len = random.nextInt(12);
            for (int k = 0; k < len; k++) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String raw = sb.toString();
            RequestTarget.Result fast = RequestTarget.alreadyNormal(raw);
            RequestTarget.Result full = RequestTarget.normaliseFully(raw);
            if (fast != null) {
                shortcuts++;
                assertThat(fast).as(raw).isEqualTo(full);
            }
            assertThat(RequestTarget.normalise(raw)).as(raw).isEqualTo(full);
        }
        assertThat(shortcuts).as("the shortcut is taken for plain paths").isGreaterThan(10_000);
    }
}
