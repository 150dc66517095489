package io.berrys.mesh.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.CascadeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The current projection of one release. {@code lockVersion} makes concurrent writers fail instead of overwrite. */
@Entity
@Table(name = "releases")
public class ReleaseEntity extends PanacheEntityBase {

    @Id
    public String id;

    public String environment;
    public String service;
    public String version;
    public String image;
    public String databases;
    public String migrations;

    @Column(name = "requires_downtime")
    public boolean requiresDowntime;

    @Column(name = "requested_by")
    public String requestedBy;

    public String state;

    @Column(name = "stage_index")
    public int stageIndex;

    @Column(name = "traffic_moved")
    public boolean trafficMoved;

    public boolean approved;
    public String reason;
    public int rollbacks;

    @Column(name = "announced_opening")
    public Instant announcedOpening;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;

    /** When the open stage falls overdue; null while none is open. */
    @Column(name = "stage_deadline")
    public Instant stageDeadline;

    @Version
    @Column(name = "lock_version")
    public long lockVersion;

    @OneToMany(mappedBy = "release", cascade = CascadeType.ALL, orphanRemoval = true, fetch = FetchType.EAGER)
    @OrderBy("position")
    public List<StageEntity> stages = new ArrayList<>();
}
