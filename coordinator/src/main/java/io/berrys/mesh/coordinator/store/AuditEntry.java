package io.berrys.mesh.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** Who asked for what, and when: every command and every publication. */
@Entity
@Table(name = "audit")
public class AuditEntry extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @jakarta.persistence.Column(name = "release_id")
    public String releaseId;

    public String actor;
    public String action;
    public String detail;
    public Instant at;
}
