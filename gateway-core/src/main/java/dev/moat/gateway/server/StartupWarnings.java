package dev.moat.gateway.server;

import dev.moat.config.MoatConfig;
import dev.moat.config.RouteConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What an operator should hear about at startup because it leaves the gateway open: a guessable
 * admin token, an admin listener reachable from the network in clear text, routes with no policy.
 * Decides only; {@link MoatServer} logs.
 */
public final class StartupWarnings {

    /** Admin tokens seen in examples and tutorials, which an attacker tries first. */
    static final Set<String> KNOWN_DEFAULTS = Set.of(
            "change-me", "changeme", "change_me", "admin", "password", "secret", "token", "moat", "test", "default");

    static final int MIN_TOKEN_LENGTH = 16;

    private StartupWarnings() {}

    public static List<String> check(MoatConfig config) {
        List<String> out = new ArrayList<>();
        String token = config.admin().token();
        if (token != null) {
            if (KNOWN_DEFAULTS.contains(token.toLowerCase(Locale.ROOT))) {
                out.add("admin.token is a well-known default ('" + token + "'): anyone who can reach the admin"
                        + " listener can create, rotate and revoke keys; set a random token of 16+ characters"
                        + " (e.g. `openssl rand -hex 24`)");
            } else if (token.length() < MIN_TOKEN_LENGTH) {
                out.add("admin.token is " + token.length() + " characters long (expected at least " + MIN_TOKEN_LENGTH
                        + "): it can be guessed; use e.g. `openssl rand -hex 24`");
            }
        }
        String host = config.admin().listen().host();
        if (!loopback(host)) {
            out.add("the admin listener " + host + ":" + config.admin().listen().port()
                    + " is not on loopback and has no TLS: the admin token and new key secrets cross the"
                    + " network in clear text; bind it to 127.0.0.1 or put it behind a TLS proxy");
        }
        for (RouteConfig r : config.routes()) {
            if (r.policy() == null) {
                out.add("route " + r.pathPrefix() + " has no policy: it authenticates and rate-limits, but runs"
                        + " no detectors and no output defences (no extraction defence)");
            }
        }
        return out;
    }

    static boolean loopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            // literal addresses only: no DNS lookup at startup for a name
            if (!Character.isDigit(host.charAt(0)) && !host.contains(":")) {
                return false;
            }
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException | RuntimeException e) {
            return false;
        }
    }
}
