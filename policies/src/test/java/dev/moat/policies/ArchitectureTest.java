package dev.moat.policies;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The policies module's layers: imports between its packages run one way (no cycle, the root package
 * included), and it knows nothing of Netty or of the gateway.
 */
@AnalyzeClasses(
        packages = "dev.moat.policies",
        importOptions = {ImportOption.DoNotIncludeTests.class, ImportOption.DoNotIncludeJars.class})
class ArchitectureTest {

    @ArchTest
    static final ArchRule packagesHaveNoCycles =
            slices().matching("dev.moat.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule noNetty = noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.netty..")
            .because("only gateway-core touches bytes and sockets");

    @ArchTest
    static final ArchRule noGateway = noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.moat.gateway..", "dev.moat.bench..")
            .because("modules stack one way: gateway-core and benchmarks sit on top");
}
