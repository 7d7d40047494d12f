package net.poolsa.appliance.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The control protocol's JSON: RFC 8259 examples, the status report's round trip, and every refusal with its offset. */
class JsonTest {
    /** RFC 8259 §13, first example (whitespace as in the RFC). */
    private static final String RFC_8259_IMAGE = """
            {
              "Image": {
                  "Width":  800,
                  "Height": 600,
                  "Title":  "View from 15th Floor",
                  "Thumbnail": {
                      "Url":    "http://www.example.com/image/481989943",
                      "Height": 125,
                      "Width":  100
                  },
                  "Animated" : false,
                  "IDs": [116, 943, 234, 38793]
                }
            }""";

    @Test
    void readsTheRfcExample() throws Exception {
        Map<?, ?> image = (Map<?, ?>) ((Map<?, ?>) Json.parse(RFC_8259_IMAGE)).get("Image");
        assertEquals(new BigDecimal(800), image.get("Width"));
        assertEquals("View from 15th Floor", image.get("Title"));
        assertEquals(Boolean.FALSE, image.get("Animated"));
        assertEquals(List.of(new BigDecimal(116), new BigDecimal(943), new BigDecimal(234), new BigDecimal(38793)), image.get("IDs"));
        assertEquals("{\"Image\":{\"Width\":800,\"Height\":600,\"Title\":\"View from 15th Floor\",\"Thumbnail\":"
                + "{\"Url\":\"http://www.example.com/image/481989943\",\"Height\":125,\"Width\":100},\"Animated\":false,"
                + "\"IDs\":[116,943,234,38793]}}", Json.write(Json.parse(RFC_8259_IMAGE)));
    }

    @Test
    void rfcScalarsAndEscapes() throws Exception {
        // RFC 8259 §13: "Here are three small JSON texts containing only values".
        assertEquals("Hello world!", Json.parse("\"Hello world!\""));
        assertEquals(new BigDecimal(42), Json.parse("42"));
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(null, Json.parse(" null "));
        assertEquals(new BigDecimal("-1.5e-3"), Json.parse("-1.5e-3"));
        // RFC 8259 §7: G clef as a surrogate pair.
        assertEquals("\uD834\uDD1E", Json.parse("\"\\ud834\\udd1e\""));
        String nasty = "a\"b\\c\n\t\r\u0001/";
        assertEquals(nasty, Json.parse(Json.quote(nasty)));
        assertEquals("\"a\\\"b\\\\c\\n\\t\\r\\u0001/\"", Json.quote(nasty));
        assertEquals("/", Json.parse("\"\\/\""));
    }

    @Test
    void writesNestedValuesInInsertionOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1);
        m.put("a", Arrays.asList("x", null, true, 5L));
        m.put("e", Map.of());
        assertEquals("{\"z\":1,\"a\":[\"x\",null,true,5],\"e\":{}}", Json.write(m));
    }

    @Test
    void refusesWithOffsets() {
        String[][] cases = {
            {"", "expected a value, got the end at offset 0"},
            {"{\"a\":1,}", "expected a string key at offset 7"},
            {"{\"a\" 1}", "expected ':' at offset 5"},
            {"[1 2]", "expected ']' at offset 3"},
            {"{\"a\":1,\"a\":2}", "duplicate key \"a\" at offset 7"},
            {"01", "leading zero at offset 1"},
            {"-", "expected a digit at offset 1"},
            {"1.", "expected a digit after '.' at offset 2"},
            {"1e", "expected a digit in the exponent at offset 2"},
            {"\"abc", "unterminated string at offset 4"},
            {"\"a\nb\"", "control character in a string at offset 2"},
            {"\"\\x\"", "bad escape '\\x' at offset 2"},
            {"\"\\u12zz\"", "bad \\u escape at offset 3"},
            {"\"\\u12", "truncated \\u escape at offset 3"},
            {"tru", "expected true at offset 0"},
            {"{} {}", "unexpected data after the value at offset 3"},
            {"'a'", "unexpected character ''' at offset 0"},
            {"\u0000", "unexpected character '\\u0000' at offset 0"},
        };
        for (String[] c : cases) {
            Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(c[0]), c[0]);
            assertEquals(c[1], e.getMessage(), c[0]);
        }
    }

    @Test
    void nestingIsBounded() throws Exception {
        String ok = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        Json.parse(ok);
        String deep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(deep));
        assertEquals("nesting deeper than " + Json.MAX_DEPTH + " at offset " + (Json.MAX_DEPTH + 1), e.getMessage());
        // A request of the maximum size made of brackets only stops at the depth bound, not the stack.
        assertThrows(Json.JsonException.class, () -> Json.parse("[".repeat(ControlProtocol.MAX_REQUEST_BYTES)));
    }
}
