package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every package of the library's modules and of the examples is null-marked: its
 * {@code package-info.java} carries JSpecify's {@code @NullMarked}, so that nothing in it takes or
 * returns null unless it says {@code @Nullable}. Reads the sources of the sibling modules (the build
 * runs this module's tests from its own directory, inside the repository).
 */
class NullMarkedPackagesTest {

    private static final List<String> MODULES =
            List.of("reactive-core", "reactive-r2dbc", "reactive-inmemory", "reactive-spring-boot", "examples");

    @Test
    void everyMainPackageIsNullMarked() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<Path> packages = MODULES.stream()
                .map(module -> root.resolve(module).resolve("src/main/java"))
                .filter(Files::isDirectory)
                .flatMap(NullMarkedPackagesTest::packagesUnder)
                .toList();
        assertTrue(packages.size() > 10, "found the modules' packages under " + root + ": " + packages);
        List<Path> unmarked = packages.stream().filter(dir -> !isNullMarked(dir.resolve("package-info.java"))).toList();
        assertEquals(List.of(), unmarked, "packages without a @NullMarked package-info.java");
    }

    /** The directories under {@code sources} that hold a Java source file. */
    private static Stream<Path> packagesUnder(Path sources) {
        try (Stream<Path> files = Files.walk(sources)) {
            return files.filter(f -> f.toString().endsWith(".java")).map(Path::getParent).distinct().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isNullMarked(Path packageInfo) {
        try {
            return Files.exists(packageInfo) && Files.readString(packageInfo).contains("@NullMarked");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
