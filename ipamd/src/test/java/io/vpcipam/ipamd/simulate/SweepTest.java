package io.vpcipam.ipamd.simulate;

import io.vpcipam.ipamd.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SweepTest {

    @TempDir
    Path dir;

    private static final Map<String, String> SMALL = Map.of("SIM_NODES", "4", "SIM_DURATION", "6m",
            "SIM_PODS_PER_NODE", "6", "SIM_POD_LIFETIME", "2m", "SIM_BURST_EVERY", "3m", "SIM_BURST_PODS", "40",
            "SIM_BURST_SPREAD", "0s", "SIM_SUBNET_SIZE", "/22");

    @Test
    void sweep_everyValueOnTheSameWorkload_frontMarked_chartWritten() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SimulateCommand cmd = new SimulateCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        Path settings = dir.resolve("fleet.env");
        StringBuilder file = new StringBuilder("# a small fleet\n");
        SMALL.forEach((k, v) -> file.append(k).append('=').append(v).append('\n'));
        Files.writeString(settings, file);
        Path chart = dir.resolve("sweep.svg");
        int rc = new picocli.CommandLine(cmd).execute("--settings", settings.toString(),
                "--sweep", "WARM_IP_TARGET=1,4,16", "--chart", chart.toString(), "--parallel", "2");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("WARM_IP_TARGET"), table);
        for (String v : new String[] {"1", "4", "16"}) {
            assertTrue(table.lines().anyMatch(l -> l.startsWith("  " + v + " ")), v + " missing:\n" + table);
        }
        assertTrue(table.contains("*"), "some setting is on the front:\n" + table);
        String svg = Files.readString(chart);
        assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assertFalse(svg.contains("<script"), "no script in the chart");
        assertEquals(3, svg.split("<circle ").length - 1, "one circle per setting");
    }

    @Test
    void largerWarmTarget_moreWasteFewerWaits() throws Exception {
        List<Sweep.Point> points = Sweep.run(SMALL, List.of(Sweep.Axis.parse("WARM_IP_TARGET=1,16")), 1);
        Result lean = points.get(0).result();
        Result fat = points.get(1).result();
        assertTrue(fat.idleMean() > lean.idleMean());
        assertTrue(fat.waited() < lean.waited(), lean.waited() + " vs " + fat.waited());
        // neither dominates the other on waste and p99: both are on the front
        assertTrue(points.get(0).pareto() && points.get(1).pareto());
    }

    @Test
    void pareto_aDominatedPointIsOff() throws Exception {
        List<Sweep.Point> points = Sweep.run(SMALL, List.of(Sweep.Axis.parse("SIM_API_RATE=unlimited,unlimited")), 1);
        // two identical results: neither is strictly better, both stay on the front
        assertTrue(points.get(0).pareto() && points.get(1).pareto());
        Result a = points.get(0).result();
        Result worse = new Result(a.scenario(), a.nodesAtEnd(), a.adds(), a.waited(), a.pastTimeout(), a.nodeFull(),
                a.stillWaiting(), a.p50(), a.p99().plusMillis(1), a.max(), a.idleMean() + 1, a.idlePeak(),
                a.sampleSeconds(), a.idleSeries(), a.subnets(), a.subnetRefusals(), a.firstRefusal(), a.calls(),
                a.throttled(), a.passes(), a.events(), a.wall(), a.waits());
        assertFalse(Sweep.paretoOptimal(List.of(a, worse), 1));
        assertTrue(Sweep.paretoOptimal(List.of(a, worse), 0));
    }

    @Test
    void help_printsTheSettings() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        picocli.CommandLine cl = new picocli.CommandLine(new SimulateCommand());
        cl.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
        assertEquals(0, cl.execute("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("--sweep") && help.contains("SIM_API_RATE=20"), help);
        assertTrue(help.lines().allMatch(l -> l.length() <= 80), "no line wraps in an 80-column terminal:\n" + help);
    }

    @Test
    void chartWithoutSweep_andBadSettings_allReportedAtOnce() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SimulateCommand cmd = new SimulateCommand(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc = new picocli.CommandLine(cmd).execute("--chart", dir.resolve("x.svg").toString(),
                "--set", "WARM_IP_TARGET=x", "--nodes", "0");
        assertEquals(2, rc);
        String all = err.toString(StandardCharsets.UTF_8);
        assertTrue(all.contains("--chart needs --sweep") && all.contains("WARM_IP_TARGET")
                && all.contains("SIM_NODES"), all);
        assertFalse(Files.exists(dir.resolve("x.svg")));
    }

    @Test
    void badSweep_refusedBeforeAnythingRuns() {
        assertThrows(ConfigException.class, () -> Sweep.Axis.parse("WARM_IP_TARGET=5"));
        assertThrows(ConfigException.class, () -> Sweep.Axis.parse("=1,2"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> Sweep.run(SMALL, List.of(Sweep.Axis.parse("WARM_IP_TARGET=2,lots")), 1));
        assertTrue(e.problems().getFirst().contains("WARM_IP_TARGET"), e.problems().toString());
    }
}
