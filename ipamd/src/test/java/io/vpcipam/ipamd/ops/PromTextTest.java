package io.vpcipam.ipamd.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The strict parser the metrics tests rely on: it must reject what Prometheus would reject or misread. */
class PromTextTest {

    private static final String GOOD = """
            # HELP a_total A counter.
            # TYPE a_total counter
            a_total{verb="X",condition="ok"} 3.0
            # TYPE h histogram
            h_bucket{le="0.1"} 1
            h_bucket{le="+Inf"} 2
            h_count 2
            h_sum 0.3
            # TYPE g gauge
            g{path="a\\\\b\\"c\\n"} -1.5e3
            """;

    @Test
    void parse_wellFormed_readsFamiliesAndUnescapesLabels() {
        Map<String, PromText.Family> f = PromText.parse(GOOD);
        assertEquals("counter", f.get("a_total").type());
        assertEquals(3.0, PromText.value(f, "a_total", Map.of("verb", "X", "condition", "ok")));
        assertEquals(-1500.0, PromText.value(f, "g", Map.of("path", "a\\b\"c\n")));
        assertEquals(4, f.get("h").samples().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "a 1",                                                  // no final newline
            "a{b=\"c} 1\n",                                         // unterminated label value
            "a{b=c} 1\n",                                           // unquoted label value
            "a{b=\"\\x\"} 1\n",                                     // bad escape
            "a{b=\"1\",b=\"2\"} 1\n",                               // repeated label
            "a{1b=\"c\"} 1\n",                                      // bad label name
            "1a 1\n",                                               // bad metric name
            "a one\n",                                              // value not a float
            "a 1 2 3\n",                                            // junk after the timestamp
            "a  1\n",                                               // two spaces
            "# TYPE a counter\n# TYPE a counter\na 1\n",            // second TYPE
            "# TYPE a wibble\na 1\n",                               // unknown type
            "a 1\n# TYPE a gauge\n",                                // TYPE after samples
            "# TYPE a gauge\na{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n",    // family not contiguous
            "# TYPE a gauge\na 1\na 2\n",                           // duplicate series
            "# TYPE a counter\na -1\n",                             // negative counter
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\nh_sum 1\n",                        // no +Inf
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\nh_sum 1\n",                     // count != +Inf
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",                              // no sum
            "# TYPE h histogram\nh 1\n",                                                            // bare sample
    })
    void parse_malformed_throws(String text) {
        assertThrows(IllegalArgumentException.class, () -> PromText.parse(text), text);
    }
}
