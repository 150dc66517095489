package io.berrys.mesh.events;

import java.util.Set;

/** Names of the fields of a Redis stream entry carrying a CloudEvent (one field per attribute). */
public final class EntryFields {
    public static final String SPECVERSION = "specversion";
    public static final String ID = "id";
    public static final String SOURCE = "source";
    public static final String TYPE = "type";
    public static final String SUBJECT = "subject";
    public static final String TIME = "time";
    public static final String DATACONTENTTYPE = "datacontenttype";
    public static final String DATA = "data";

    public static final String RELEASE_ID = "releaseid";
    public static final String TRIGGERED_ID = "triggeredid";
    public static final String CAUSATION_ID = "causationid";
    public static final String ATTEMPT = "attempt";

    /** Fields the connector adds to an entry it dead-letters. */
    public static final String DLQ_REASON = "dlq_reason";

    public static final String DLQ_ORIGINAL_ID = "dlq_original_id";
    public static final String DLQ_STREAM = "dlq_stream";
    public static final String DLQ_GROUP = "dlq_group";
    public static final String DLQ_CONSUMER = "dlq_consumer";
    public static final String DLQ_ATTEMPTS = "dlq_attempts";
    public static final String DLQ_TIME = "dlq_time";

    static final Set<String> CORE = Set.of(SPECVERSION, ID, SOURCE, TYPE, SUBJECT, TIME, DATACONTENTTYPE, DATA);

    private EntryFields() {}
}
