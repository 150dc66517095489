package io.berrys.mesh.provisioner.records;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** The spec an environment's last successful apply made it: what a drift check compares the cloud with. */
@Entity
@Table(name = "applied_spec")
public class AppliedSpecRecord extends PanacheEntityBase {
    @Id
    public String environment;

    public String fingerprint;
    public String spec;

    @Column(name = "applied_at")
    public Instant appliedAt;

    @Column(name = "run_id")
    public String runId;
}
