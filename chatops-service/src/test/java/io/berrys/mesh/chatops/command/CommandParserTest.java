package io.berrys.mesh.chatops.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandParserTest {

    @Test
    void everyCommandOfTheGrammar() {
        assertThat(CommandParser.parse("deploy planning-system 2.4.1 to staging"))
                .isEqualTo(new Deploy("planning-system", "2.4.1", "staging"));
        assertThat(CommandParser.parse("  Deploy  web-dashboard  3.0.0-rc.1+b7   TO production "))
                .isEqualTo(new Deploy("web-dashboard", "3.0.0-rc.1+b7", "production"));
        assertThat(CommandParser.parse("status")).isEqualTo(new Status(null));
        assertThat(CommandParser.parse("status rel-1a2b")).isEqualTo(new Status(Target.release("rel-1a2b")));
        assertThat(CommandParser.parse("status planning-system"))
                .isEqualTo(new Status(Target.service("planning-system")));
        assertThat(CommandParser.parse("list")).isEqualTo(new ListReleases(null));
        assertThat(CommandParser.parse("list production")).isEqualTo(new ListReleases("production"));
        assertThat(CommandParser.parse("approve rel-9f")).isEqualTo(new Control(ReleaseAction.APPROVE, "rel-9f"));
        assertThat(CommandParser.parse("PAUSE rel-9f")).isEqualTo(new Control(ReleaseAction.PAUSE, "rel-9f"));
        assertThat(CommandParser.parse("resume rel-9f")).isEqualTo(new Control(ReleaseAction.RESUME, "rel-9f"));
        assertThat(CommandParser.parse("abort rel-9f")).isEqualTo(new Control(ReleaseAction.ABORT, "rel-9f"));
        assertThat(CommandParser.parse("rollback planning-system in production"))
                .isEqualTo(new Rollback(Target.service("planning-system"), "production"));
        assertThat(CommandParser.parse("rollback rel-9f in production"))
                .isEqualTo(new Rollback(Target.release("rel-9f"), "production"));
        assertThat(CommandParser.parse("env drift staging"))
                .isEqualTo(new Environment(EnvironmentAction.DRIFT, "staging"));
        assertThat(CommandParser.parse("env plan production"))
                .isEqualTo(new Environment(EnvironmentAction.PLAN, "production"));
        assertThat(CommandParser.parse("help")).isEqualTo(new Help());
        assertThat(CommandParser.parse("")).isEqualTo(new Help());
        assertThat(CommandParser.parse(null)).isEqualTo(new Help());
    }

    @ParameterizedTest
    @CsvSource(
            delimiterString = " => ",
            quoteCharacter = '"',
            value = {
                "launch the rockets => unknown command 'launch'",
                "deploy planning-system 2.4.1 => deploy is 'deploy SERVICE VERSION to ENV'",
                "deploy planning-system 2.4.1 into staging => deploy is 'deploy SERVICE VERSION to ENV'",
                "deploy Planning 2.4.1 to staging => 'Planning' is not a service name",
                "deploy planning-system ../x to staging => '../x' is not a version",
                "deploy planning-system 1 to prod;rm => 'prod;rm' is not an environment name",
                "approve planning-system => 'planning-system' is not a release id (rel-...)",
                "approve => approve takes one release id (rel-...)",
                "rollback planning-system production => rollback is 'rollback RELEASE|SERVICE in ENV'",
                "env apply staging => env takes plan or drift, not 'apply'",
                "status a b => status takes at most one release or service",
                "help me => help takes nothing after it",
                "<@U123> `boom` => unknown command 'U123'",
            })
    void aCommandOutsideTheGrammarGetsWhatWasWrongAndTheUsage(String text, String problem) {
        assertThatThrownBy(() -> CommandParser.parse(text))
                .isInstanceOf(UsageException.class)
                .satisfies(e -> {
                    assertThat(((UsageException) e).problem()).startsWith(problem);
                    assertThat(e.getMessage()).endsWith(CommandParser.USAGE);
                });
    }
}
