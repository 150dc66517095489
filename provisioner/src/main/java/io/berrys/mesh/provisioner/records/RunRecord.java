package io.berrys.mesh.provisioner.records;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A run as recorded: its plan (summary and diff, one change per line) and its progress lines. */
@Entity
@Table(name = "run")
public class RunRecord extends PanacheEntityBase {
    @Id
    public String id;

    public String environment;
    public String action;
    public boolean force;
    public String state;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    public String summary;
    public int pending;
    public String diff;
    public String lines;
    public String error;

    @Column(name = "renewed_at")
    public Instant renewedAt;
}
