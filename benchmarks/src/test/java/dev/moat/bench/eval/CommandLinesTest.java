package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The eval's and the demo's command lines (picocli): help exits 0, bad options exit 2 with a message. */
class CommandLinesTest {

    private static String[] run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void evalAnswersHelpAndNamesItsOptions() {
        String[] r = run(new EvalMain(), "--help");
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("--quick", "--write-docs", "--models", "--attacks", "--presets", "--budget");
    }

    @Test
    void evalRejectsAnUnknownOption() {
        String[] r = run(new EvalMain(), "--fast");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("Unknown option: '--fast'");
    }

    @Test
    void demoAnswersHelp() {
        String[] r = run(new DemoMain.Cli(), "--help");
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("--config");
    }
}
