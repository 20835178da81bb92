package dev.moat.gateway.log;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Switches every log line, access and application, between text and one JSON object per line.
 * {@code logback.xml} picks its encoders from the {@code moat.log.format} property; {@code moat run}
 * calls {@link #use} with the config's {@code access_log.format} before the server starts, which sets
 * the property and re-reads Moat's {@code logback.xml}. An operator who brings their own Logback file
 * ({@code -Dlogback.configurationFile}) keeps it untouched. Decided once at startup: a reload does not
 * change the format.
 */
public final class LogFormat {

    /** The system property {@code logback.xml} reads. */
    public static final String PROPERTY = "moat.log.format";

    private LogFormat() {}

    /**
     * Sends {@code java.util.logging} records (the OpenTelemetry SDK's, the JDK's) through SLF4J to
     * Logback, so they get the same format and async appenders as every other line. For
     * {@code moat run} only: a library embedding the gateway keeps its own logging setup.
     */
    public static void routeJulToLogback() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /**
     * @param format {@code text} (changes nothing) or {@code json}
     * @return true when the logging was reconfigured
     */
    public static boolean use(String format) {
        // text is the default: it never overrides an operator's -Dmoat.log.format=json
        if (!"json".equals(format)
                || format.equals(System.getProperty(PROPERTY))
                || System.getProperty("logback.configurationFile") != null) {
            return false;
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        URL xml = LogFormat.class.getClassLoader().getResource("logback.xml");
        if (!(factory instanceof LoggerContext context) || xml == null) {
            return false;
        }
        System.setProperty(PROPERTY, format);
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(xml);
        } catch (JoranException e) {
            throw new IllegalStateException("logback.xml could not be re-read", e);
        }
        return true;
    }
}
