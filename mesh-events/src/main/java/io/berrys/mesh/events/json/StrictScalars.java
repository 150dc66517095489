package io.berrys.mesh.events.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;

/**
 * Reads JSON scalars as the API documents them: a string field takes a string, a number field a number, a boolean
 * true or false. Jackson would otherwise take {@code 4} for {@code "4"} and {@code "true"} for true, so a body the
 * document calls invalid would be accepted. An API that stores its bodies in PostgreSQL also refuses strings holding
 * the NUL character ({@link #withoutNul}).
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

    /**
     * Refuses strings that hold the NUL character: JSON allows it (the escape backslash-u-0000), PostgreSQL's text
     * does not, so a body stored there would fail only as it was written, as a server error. Its API document says
     * so with {@link #NUL_FREE} as the pattern of the strings it takes.
     */
    public static ObjectMapper withoutNul(ObjectMapper mapper) {
        return mapper.registerModule(
                new SimpleModule("mesh-strings-without-nul").addDeserializer(String.class, new NoNul()));
    }

    /** The pattern of a string without the NUL character, as a JSON Schema (ECMA-262) regular expression. */
    public static final String NUL_FREE = "^[^\\u0000]*$";

    /** Strings as Jackson reads them (coercion rules included), without the NUL character. */
    private static final class NoNul extends StdScalarDeserializer<String> {
        NoNul() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            String value = StringDeserializer.instance.deserialize(parser, context);
            if (value != null && value.indexOf('\u0000') >= 0) {
                // JsonProblems names the field and quotes this rule.
                throw JsonMappingException.from(
                        parser,
                        "a string with the NUL character",
                        new IllegalArgumentException("must not contain the NUL character (U+0000)"));
            }
            return value;
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Textual;
        }
    }
}
