package io.berrys.mesh.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

@Entity
@Table(name = "stages")
@IdClass(StageEntity.Key.class)
public class StageEntity extends PanacheEntityBase {

    @Id
    @ManyToOne
    @JoinColumn(name = "release_id")
    public ReleaseEntity release;

    @Id
    public int position;

    public String task;
    public String status;
    public int attempt;

    @Column(name = "triggered_event_id")
    public String triggeredEventId;

    @Column(name = "triggered_at")
    public Instant triggeredAt;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "last_activity_at")
    public Instant lastActivityAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    public String message;

    public static class Key implements Serializable {
        public String release;
        public int position;

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && Objects.equals(release, key.release) && position == key.position;
        }

        @Override
        public int hashCode() {
            return Objects.hash(release, position);
        }
    }
}
