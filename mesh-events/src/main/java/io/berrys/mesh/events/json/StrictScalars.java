package io.berrys.mesh.events.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;

/**
 * Reads JSON scalars as the API documents them: a string field takes a string, a number field a number, a boolean
 * true or false. Jackson would otherwise take {@code 4} for {@code "4"} and {@code "true"} for true, so a body the
 * document calls invalid would be accepted.
 */
public final class StrictScalars {

    private StrictScalars() {}

    public static ObjectMapper apply(ObjectMapper mapper) {
        for (CoercionInputShape shape : new CoercionInputShape[] {
            CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean
        }) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        for (LogicalType type : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        // Jackson would cut 3.5 to 3. (JSON Schema counts 3.0 as a whole number; written so, it is refused too.)
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        return mapper;
    }
}
