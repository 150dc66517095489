package io.berrys.mesh.provisioner.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecReaderTest {

    static String file(String name) throws IOException {
        return Files.readString(Path.of("../deploy/environments", name));
    }

    @Test
    void theProductionSpecHoldsTheSeedsValues() throws IOException {
        EnvironmentSpec spec = SpecReader.read("production.yaml", file("production.yaml"));

        assertThat(spec.network().vpcCidr()).isEqualTo("10.0.0.0/16");
        assertThat(spec.network().zones()).hasSize(3);
        assertThat(spec.network().natGateways()).isEqualTo(EnvironmentSpec.NatGateways.PER_ZONE);
        assertThat(spec.database().instanceClass()).isEqualTo("db.t3.large");
        assertThat(spec.database().storageGb()).isEqualTo(100);
        assertThat(spec.database().multiAz()).isTrue();
        assertThat(spec.database().backupRetentionDays()).isEqualTo(7);
        assertThat(spec.database().deletionProtection()).isTrue();
        assertThat(spec.database().protect()).isTrue();
        assertThat(spec.cache().nodeType()).isEqualTo("cache.t3.medium");
        assertThat(spec.storage().backupRetentionDays()).isEqualTo(30);
        assertThat(spec.registry().repositories()).hasSize(7);
    }

    @Test
    void aMinimalSpecTakesTheProductionDefaults() throws IOException {
        EnvironmentSpec minimal = SpecReader.read("min.yaml", "environment: production\n");
        EnvironmentSpec written = SpecReader.read("production.yaml", file("production.yaml"));

        assertThat(minimal).isEqualTo(written);
    }

    @Test
    void theStagingSpecIsValidAndProtectsNothing() throws IOException {
        EnvironmentSpec spec = SpecReader.read("staging.yaml", file("staging.yaml"));

        assertThat(spec.network().natGateways()).isEqualTo(EnvironmentSpec.NatGateways.SHARED);
        assertThat(spec.database().protect()).isFalse();
        assertThat(spec.database().identifier()).isEqualTo("berrys-staging-postgres");
    }

    /** Each line: a change to a valid spec (a YAML patch of one section), the key the error names, and its rule. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "colour: blue|colour|unknown key",
                "network: {vpcCidr: 10.0.0.0/16, mtu: 9000}|network.mtu|unknown key",
                "cluster: {nodeGroups: [{name: general, size: 3}]}|cluster.nodeGroups[0].size|unknown key",
                "network: {vpcCidr: 10.0.0.0/33}|network.vpcCidr|not an IPv4 block",
                "network: {vpcCidr: 10.0.0.0/8}|network.vpcCidr|between /16 and /28",
                "network: {subnets: {public: [10.0.0.0/20, 10.0.0.0/21, 10.0.32.0/20]}}|network.subnets.public[1]|overlaps network.subnets.public[0]",
                "network: {subnets: {private: [10.0.64.0/19, 10.0.96.0/19, 10.0.0.0/19]}}|network.subnets.private[2]|overlaps network.subnets.public[0]",
                "network: {subnets: {database: [10.0.160.0/22, 10.0.164.0/22, 10.9.0.0/22]}}|network.subnets.database[2]|outside the VPC 10.0.0.0/16",
                "network: {subnets: {public: [10.0.0.0/20, 10.0.16.0/20]}}|network.subnets.public|one block per availability zone (3), got 2",
                "network: {availabilityZones: [us-east-1a], subnets: {public: [10.0.0.0/20], private: [10.0.64.0/19], database: [10.0.160.0/22]}}|network.availabilityZones|at least 2 zones",
                "network: {availabilityZones: [us-east-1a, eu-west-1b, us-east-1c]}|network.availabilityZones[1]|not a zone of region us-east-1",
                "network: {natGateways: two}|network.natGateways|must be one of per-zone, shared",
                "cluster: {nodeGroups: [{name: general, min: 5, max: 2}]}|cluster.nodeGroups[0]|min (5) is greater than max (2)",
                "cluster: {nodeGroups: [{name: general, min: 1, desired: 9, max: 3}]}|cluster.nodeGroups[0].desired|between min (1) and max (3)",
                "cluster: {nodeGroups: [{name: general, instanceTypes: [huge]}]}|cluster.nodeGroups[0].instanceTypes[0]|not an EC2 instance type",
                "cluster: {nodeGroups: [{name: a}, {name: a}]}|cluster.nodeGroups[1].name|used by another node group",
                "cluster: {version: '1.12'}|cluster.version|not an EKS version",
                "cluster: {endpoint: {public: false, private: false}}|cluster.endpoint|at least one of public and private",
                "database: {instanceClass: db.t3.gigantic}|database.instanceClass|unknown instance class 'db.t3.gigantic'",
                "database: {storageGb: 5}|database.storageGb|between 20 and 65536, got 5",
                "database: {storageGb: lots}|database.storageGb|must be a whole number",
                "database: {multiAz: yes please}|database.multiAz|must be true or false",
                "database: {readReplicas: 1, backupRetentionDays: 0}|database.backupRetentionDays|at least 1 when readReplicas is set",
                "database: {deletionProtection: false}|database.deletionProtection|must be true for a protected production database",
                "cache: {nodeType: cache.x1.tiny}|cache.nodeType|unknown node type 'cache.x1.tiny'",
                "cache: {replicas: 0}|cache.automaticFailover|needs at least 1 replica",
                "cache: {encryptionInTransit: false}|cache.encryptionInTransit|must be true",
                "storage: {backupBucket: Berrys_Backups}|storage.backupBucket|not an S3 bucket name",
                "storage: {staticBucket: berrys-production-backups}|storage.backupBucket|must differ from staticBucket",
                "registry: {repositories: [planning-system, planning-system]}|registry.repositories[1]|listed twice",
                "drRegion: us-east-1|drRegion|must differ from region",
                "provider: gcp|provider|must be one of aws, local",
            })
    void aBrokenRuleIsNamedWithItsKey(String patch, String key, String rule) {
        String yaml = "environment: production\n" + patch + "\n";

        assertThatThrownBy(() -> SpecReader.read("production.yaml", yaml))
                .isInstanceOfSatisfying(
                        SpecInvalidException.class,
                        e -> assertThat(e.violations()).anySatisfy(v -> {
                            assertThat(v.key()).isEqualTo(key);
                            assertThat(v.rule()).contains(rule);
                        }))
                .hasMessageStartingWith("production.yaml is not a valid environment spec");
    }

    @Test
    void everyBrokenRuleIsReportedAtOnce() {
        String yaml = """
                environment: production
                database: {instanceClass: db.nope, storageGb: 1}
                cache: {nodeType: cache.nope}
                colour: blue
                """;

        assertThatThrownBy(() -> SpecReader.read("p.yaml", yaml))
                .isInstanceOfSatisfying(
                        SpecInvalidException.class,
                        e -> assertThat(e.violations().stream()
                                        .map(Violation::key)
                                        .toList())
                                .contains("database.instanceClass", "database.storageGb", "cache.nodeType", "colour"));
    }

    @Test
    void notYamlAndEmptyFilesAreRefusedWithWhere() {
        assertThatThrownBy(() -> SpecReader.read("bad.yaml", "environment: [unclosed\n"))
                .isInstanceOf(SpecInvalidException.class)
                .hasMessageContaining("is not YAML at line");
        assertThatThrownBy(() -> SpecReader.read("empty.yaml", ""))
                .isInstanceOf(SpecInvalidException.class)
                .hasMessageContaining("(file): is empty");
        assertThatThrownBy(() -> SpecReader.read("list.yaml", "- a\n- b\n"))
                .isInstanceOf(SpecInvalidException.class)
                .hasMessageContaining("must be a mapping of keys");
        assertThatThrownBy(() -> SpecReader.read("anon.yaml", "region: us-east-1\n"))
                .isInstanceOfSatisfying(
                        SpecInvalidException.class,
                        e -> assertThat(e.violations()).contains(new Violation("environment", "is required")));
    }

    @Test
    void cidrBlocksCompareAsRanges() {
        Cidr vpc = Cidr.parse("10.0.0.0/16").orElseThrow();
        assertThat(vpc.contains(Cidr.parse("10.0.255.0/24").orElseThrow())).isTrue();
        assertThat(vpc.contains(Cidr.parse("10.1.0.0/24").orElseThrow())).isFalse();
        assertThat(Cidr.parse("10.0.0.0/20")
                        .orElseThrow()
                        .overlaps(Cidr.parse("10.0.15.0/24").orElseThrow()))
                .isTrue();
        assertThat(Cidr.parse("10.0.0.0/20")
                        .orElseThrow()
                        .overlaps(Cidr.parse("10.0.16.0/24").orElseThrow()))
                .isFalse();
        assertThat(List.of("10.0.0.1/16", "300.0.0.0/16", "10.0.0.0", "10.0.0.0/40"))
                .allSatisfy(text -> assertThat(Cidr.parse(text)).isEmpty());
    }
}
