package io.berrys.mesh.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** Every envelope the coordinator accepted, once (unique event id): the source of truth for the projections. */
@Entity
@Table(name = "event_log")
public class EventLogEntry extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long seq;

    @Column(name = "event_id")
    public String eventId;

    public String type;
    public String source;

    @Column(name = "release_id")
    public String releaseId;

    public String subject;

    @Column(name = "event_time")
    public Instant eventTime;

    /** The stream entry's fields, as JSON: enough to decode the CloudEvent again. */
    public String fields;

    @Column(name = "recorded_at")
    public Instant recordedAt;
}
