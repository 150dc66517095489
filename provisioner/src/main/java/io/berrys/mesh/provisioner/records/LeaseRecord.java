package io.berrys.mesh.provisioner.records;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** The one run allowed to change an environment now. */
@Entity
@Table(name = "lease")
public class LeaseRecord extends PanacheEntityBase {
    @Id
    public String environment;

    @Column(name = "run_id")
    public String runId;

    public String action;

    @Column(name = "taken_at")
    public Instant takenAt;

    @Column(name = "renewed_at")
    public Instant renewedAt;
}
