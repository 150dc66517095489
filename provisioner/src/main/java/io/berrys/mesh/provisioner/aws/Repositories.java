package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.provider.Created;
import io.berrys.mesh.provisioner.provider.Found;
import io.berrys.mesh.provisioner.provider.Names;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.ImageTagMutability;
import software.amazon.awssdk.services.ecr.model.Repository;
import software.amazon.awssdk.services.ecr.model.Tag;

/** ECR repositories for the platform's images; the physical id is the repository's name. */
final class Repositories extends Handler {

    Repositories(AwsClients aws) {
        super(aws);
    }

    @Override
    public Kind kind() {
        return Kind.ECR_REPOSITORY;
    }

    private EcrClient ecr(Scope scope) {
        return aws.ecr(scope.region());
    }

    @Override
    public List<Found> find(Scope scope) {
        List<Found> found = new ArrayList<>();
        for (Repository repository :
                ecr(scope).describeRepositoriesPaginator(r -> {}).repositories()) {
            Map<String, String> tags =
                    ecr(scope).listTagsForResource(r -> r.resourceArn(repository.repositoryArn())).tags().stream()
                            .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
            Found.of(
                            scope,
                            tags,
                            repository.repositoryName(),
                            repository,
                            Map.of("uri", repository.repositoryUri(), "arn", repository.repositoryArn()))
                    .ifPresent(found::add);
        }
        return found;
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        Repository repository = (Repository) found.raw();
        return Map.of(
                "name",
                repository.repositoryName(),
                "scanOnPush",
                repository.imageScanningConfiguration() != null
                        && Boolean.TRUE.equals(
                                repository.imageScanningConfiguration().scanOnPush()),
                "immutableTags",
                repository.imageTagMutability() == ImageTagMutability.IMMUTABLE);
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        Repository repository = ecr(scope)
                .createRepository(r -> r.repositoryName(desired.text("name"))
                        .imageScanningConfiguration(c -> c.scanOnPush(desired.flag("scanOnPush")))
                        .imageTagMutability(mutability(desired))
                        .tags(tagList(
                                scope,
                                desired,
                                (k, v) -> Tag.builder().key(k).value(v).build())))
                .repository();
        return new Created(
                repository.repositoryName(),
                Map.of("uri", repository.repositoryUri(), "arn", repository.repositoryArn()));
    }

    private static ImageTagMutability mutability(Resource desired) {
        return desired.flag("immutableTags") ? ImageTagMutability.IMMUTABLE : ImageTagMutability.MUTABLE;
    }

    @Override
    void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
        String name = actual.physicalId();
        switch (change.name()) {
            case "scanOnPush" ->
                ecr(scope)
                        .putImageScanningConfiguration(r -> r.repositoryName(name)
                                .imageScanningConfiguration(c -> c.scanOnPush(desired.flag("scanOnPush"))));
            case "immutableTags" ->
                ecr(scope).putImageTagMutability(r -> r.repositoryName(name).imageTagMutability(mutability(desired)));
            default -> super.change(scope, desired, actual, change, names);
        }
    }

    /** Forced: a destroy takes the images with it, as it takes a bucket's objects. */
    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        ignoringGone(() -> ecr(scope)
                .deleteRepository(r -> r.repositoryName(actual.physicalId()).force(true)));
    }
}
