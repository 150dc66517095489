package io.berrys.mesh.provisioner;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.events.testing.ServiceSmokeChecks;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(RedisServerResource.class)
@QuarkusTestResource(PostgresServerResource.class)
class SmokeIT extends ServiceSmokeChecks {}
