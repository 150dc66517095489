package io.berrys.mesh.chatops.command;

import io.berrys.mesh.chatops.command.ChatCommand.Control;
import io.berrys.mesh.chatops.command.ChatCommand.Deploy;
import io.berrys.mesh.chatops.command.ChatCommand.Environment;
import io.berrys.mesh.chatops.command.ChatCommand.EnvironmentAction;
import io.berrys.mesh.chatops.command.ChatCommand.Help;
import io.berrys.mesh.chatops.command.ChatCommand.ListReleases;
import io.berrys.mesh.chatops.command.ChatCommand.ReleaseAction;
import io.berrys.mesh.chatops.command.ChatCommand.Rollback;
import io.berrys.mesh.chatops.command.ChatCommand.Status;
import io.berrys.mesh.chatops.command.ChatCommand.Target;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one grammar of every chat platform. Verbs and the words {@code to} and {@code in} are case-insensitive;
 * names are checked here, so what reaches the coordinator is a well-formed request or nothing.
 */
public final class CommandParser {

    public static final String USAGE = String.join(
            "\n",
            "Usage:",
            "  deploy SERVICE VERSION to ENV",
            "  status [RELEASE|SERVICE]",
            "  list [ENV]",
            "  approve | pause | resume | abort RELEASE",
            "  rollback RELEASE|SERVICE in ENV",
            "  env plan | drift ENV",
            "  help");

    /** A service or environment name, as the coordinator's API takes them. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    /** A version tag, as an image tag may hold it. */
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

    private static final Pattern RELEASE = Pattern.compile("rel-[a-z0-9-]{1,60}");

    private CommandParser() {}

    public static ChatCommand parse(String text) {
        List<String> words = text == null || text.isBlank()
                ? List.of()
                : Arrays.asList(text.trim().split("\\s+"));
        if (words.isEmpty()) {
            return new Help();
        }
        String verb = words.get(0).toLowerCase(Locale.ROOT);
        List<String> rest = words.subList(1, words.size());
        return switch (verb) {
            case "help" -> {
                expect(rest, 0, "help takes nothing after it");
                yield new Help();
            }
            case "deploy" -> deploy(rest);
            case "status" -> {
                if (rest.size() > 1) {
                    throw new UsageException("status takes at most one release or service");
                }
                yield new Status(rest.isEmpty() ? null : target(rest.get(0)));
            }
            case "list" -> {
                if (rest.size() > 1) {
                    throw new UsageException("list takes at most one environment");
                }
                yield new ListReleases(rest.isEmpty() ? null : name(rest.get(0), "an environment"));
            }
            case "approve", "pause", "resume", "abort" -> {
                expect(rest, 1, verb + " takes one release id (rel-...)");
                yield new Control(ReleaseAction.valueOf(verb.toUpperCase(Locale.ROOT)), release(rest.get(0)));
            }
            case "rollback" -> {
                if (rest.size() != 3 || !rest.get(1).equalsIgnoreCase("in")) {
                    throw new UsageException("rollback is 'rollback RELEASE|SERVICE in ENV'");
                }
                yield new Rollback(target(rest.get(0)), name(rest.get(2), "an environment"));
            }
            case "env" -> {
                if (rest.size() != 2) {
                    throw new UsageException("env is 'env plan ENV' or 'env drift ENV'");
                }
                EnvironmentAction action = switch (rest.get(0).toLowerCase(Locale.ROOT)) {
                    case "plan" -> EnvironmentAction.PLAN;
                    case "drift" -> EnvironmentAction.DRIFT;
                    default ->
                        throw new UsageException("env takes plan or drift, not '" + shown(rest.get(0))
                                + "' (applies and destroys stay with CI and the mesh CLI)");
                };
                yield new Environment(action, name(rest.get(1), "an environment"));
            }
            default -> throw new UsageException("unknown command '" + shown(words.get(0)) + "'");
        };
    }

    private static Deploy deploy(List<String> rest) {
        if (rest.size() != 4 || !rest.get(2).equalsIgnoreCase("to")) {
            throw new UsageException("deploy is 'deploy SERVICE VERSION to ENV'");
        }
        String version = rest.get(1);
        if (!VERSION.matcher(version).matches()) {
            throw new UsageException("'" + shown(version) + "' is not a version: letters, digits, '.', '_', '+'"
                    + " or '-', starting with a letter or digit");
        }
        return new Deploy(name(rest.get(0), "a service"), version, name(rest.get(3), "an environment"));
    }

    private static Target target(String word) {
        if (word.startsWith("rel-")) {
            return Target.release(release(word));
        }
        return Target.service(name(word, "a service"));
    }

    private static String release(String word) {
        if (!RELEASE.matcher(word).matches()) {
            throw new UsageException("'" + shown(word) + "' is not a release id (rel-...)");
        }
        return word;
    }

    private static String name(String word, String what) {
        if (!NAME.matcher(word).matches()) {
            throw new UsageException("'" + shown(word) + "' is not " + what
                    + " name: lower-case letters, digits and '-', starting with a letter");
        }
        return word;
    }

    private static void expect(List<String> rest, int count, String problem) {
        if (rest.size() != count) {
            throw new UsageException(problem);
        }
    }

    /** A word as the answer quotes it back: short, and without what a chat client would render as markup. */
    private static String shown(String word) {
        String plain = word.replaceAll("[`*_~<>@#&]", "");
        return plain.length() > 40 ? plain.substring(0, 40) + "..." : plain;
    }
}
