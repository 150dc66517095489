package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.provider.Names;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.ResourceHandler;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import java.util.List;
import java.util.function.BiFunction;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/** What every handler shares: the clients, gone-tolerant deletes, tags, and updates one attribute at a time. */
abstract class Handler implements ResourceHandler {

    final AwsClients aws;

    Handler(AwsClients aws) {
        this.aws = aws;
    }

    /** Runs a delete; one of something already gone succeeds. */
    static void ignoringGone(Runnable delete) {
        try {
            delete.run();
        } catch (AwsServiceException e) {
            if (!Ec2Support.gone(e)) {
                throw e;
            }
        }
    }

    /** The resource's tags in the type a service's SDK wants. */
    static <T> List<T> tagList(Scope scope, Resource desired, BiFunction<String, String, T> tag) {
        return Tags.of(scope.environment(), desired.id(), desired.protect()).entrySet().stream()
                .map(e -> tag.apply(e.getKey(), e.getValue()))
                .toList();
    }

    @Override
    public void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress) {
        for (AttributeChange change : changes) {
            change(scope, desired, actual, change, names);
        }
    }

    void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
        throw new IllegalStateException(kind().label() + " cannot change " + change.name() + " in place");
    }
}
