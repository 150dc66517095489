package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** EC2's way of tagging and filtering, shared by the network handlers. */
final class Ec2Support {

    private Ec2Support() {}

    static Filter environment(Scope scope) {
        return Filter.builder()
                .name("tag:" + Tags.ENVIRONMENT)
                .values(scope.environment())
                .build();
    }

    static TagSpecification tags(ResourceType type, Scope scope, String id, boolean protect) {
        List<Tag> tags = Tags.of(scope.environment(), id, protect).entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                .toList();
        return TagSpecification.builder().resourceType(type).tags(tags).build();
    }

    static Map<String, String> map(List<Tag> tags) {
        return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
    }

    /** A delete or read of something already gone: {@code InvalidVpcID.NotFound}, {@code NoSuchBucket}, 404. */
    static boolean gone(AwsServiceException e) {
        String code = e.awsErrorDetails() == null
                ? ""
                : String.valueOf(e.awsErrorDetails().errorCode());
        return e.statusCode() == 404 || code.contains("NotFound") || code.startsWith("NoSuch");
    }
}
