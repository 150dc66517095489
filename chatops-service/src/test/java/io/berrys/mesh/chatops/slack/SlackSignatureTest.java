package io.berrys.mesh.chatops.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.chatops.slack.SlackSignature.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SlackSignatureTest {

    // The worked example of Slack's "Verifying requests from Slack": its signing secret, timestamp, slash-command
    // body and the signature Slack gives for them. A known answer, not one computed here.
    static final String SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
    static final String TIMESTAMP = "1531420618";
    static final byte[] BODY = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
                    + "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
                    + "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
                    + "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                    + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
            .getBytes(StandardCharsets.UTF_8);
    static final String SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    static final Instant SENT = Instant.ofEpochSecond(1531420618);

    @Test
    void slacksOwnExampleIsValid() {
        assertThat(new SlackSignature(SECRET).verify(TIMESTAMP, SIGNATURE, BODY, SENT.plusSeconds(10)))
                .isEqualTo(Verdict.VALID);
        assertThat(new SlackSignature(SECRET).sign(TIMESTAMP, BODY)).isEqualTo(SIGNATURE);
    }

    @Test
    void aChangedBodyTimestampOrSecretIsRefused() {
        byte[] changed = BODY.clone();
        changed[changed.length - 1] = 'd';

        assertThat(new SlackSignature(SECRET).verify(TIMESTAMP, SIGNATURE, changed, SENT))
                .isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(new SlackSignature(SECRET).verify("1531420619", SIGNATURE, BODY, SENT))
                .isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(new SlackSignature(SECRET + "x").verify(TIMESTAMP, SIGNATURE, BODY, SENT))
                .isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(new SlackSignature(SECRET).verify(TIMESTAMP, "v0=" + "0".repeat(64), BODY, SENT))
                .isEqualTo(Verdict.BAD_SIGNATURE);
    }

    @Test
    void aTimestampMoreThanFiveMinutesOffIsRefusedEvenWithItsSignature() {
        SlackSignature slack = new SlackSignature(SECRET);

        assertThat(slack.verify(TIMESTAMP, SIGNATURE, BODY, SENT.plusSeconds(301)))
                .isEqualTo(Verdict.STALE);
        assertThat(slack.verify(TIMESTAMP, SIGNATURE, BODY, SENT.minusSeconds(301)))
                .isEqualTo(Verdict.STALE);
        assertThat(slack.verify("soon", SIGNATURE, BODY, SENT)).isEqualTo(Verdict.STALE);
        assertThat(slack.verify(TIMESTAMP, SIGNATURE, BODY, SENT.plusSeconds(300)))
                .isEqualTo(Verdict.VALID);
    }

    @Test
    void theSameRequestInsideTheWindowIsAReplay() {
        SlackSignature slack = new SlackSignature(SECRET);

        assertThat(slack.verify(TIMESTAMP, SIGNATURE, BODY, SENT)).isEqualTo(Verdict.VALID);
        assertThat(slack.verify(TIMESTAMP, SIGNATURE, BODY, SENT.plusSeconds(60)))
                .isEqualTo(Verdict.REPLAYED);
    }

    @Test
    void missingHeadersAndAMissingSecretAreRefused() {
        assertThat(new SlackSignature(SECRET).verify(null, SIGNATURE, BODY, SENT))
                .isEqualTo(Verdict.MISSING);
        assertThat(new SlackSignature(SECRET).verify(TIMESTAMP, null, BODY, SENT))
                .isEqualTo(Verdict.MISSING);
        assertThatThrownBy(() -> new SlackSignature(" ")).hasMessage("the Slack signing secret is not configured");
    }
}
