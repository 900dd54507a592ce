package dev.relay.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration blocks of docs/deploy.md, each marked {@code <!-- deploy:NAME -->} right above its fenced code
 * block, so that the tests run what the page shows.
 */
final class DeployDoc {
    /** Surefire runs in the module directory; the docs sit at the repository root. */
    static final Path PATH = Path.of("../docs/deploy.md");

    private DeployDoc() {}

    /** The text of the block marked {@code name}; fails when there is none, or when it is marked twice. */
    static String block(String name) throws IOException {
        String md = Files.readString(PATH);
        Matcher m = Pattern.compile(
                        "<!-- deploy:" + Pattern.quote(name) + " -->\\n```[a-z]*\\n(.*?)\\n```", Pattern.DOTALL)
                .matcher(md);
        if (!m.find()) {
            throw new AssertionError(PATH + " has no block marked deploy:" + name);
        }
        String text = m.group(1);
        if (m.find()) {
            throw new AssertionError(PATH + " marks two blocks deploy:" + name);
        }
        return text + "\n";
    }
}
