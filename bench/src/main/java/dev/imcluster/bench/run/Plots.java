package dev.imcluster.bench.run;

import dev.imcluster.bench.core.Result;
import java.awt.Color;
import java.io.IOException;
import java.text.DecimalFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG plots of the rounds' outcomes, drawn headless with JFreeChart, for the generated report. */
public final class Plots {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;

    private Plots() {
    }

    /**
     * Draws both plots into {@code dir} (bench-deliveries.png, bench-latency.png) and returns the Markdown that
     * shows them (paths relative to {@code dir}), or a line saying why they could not be drawn.
     */
    public static String drawInto(Path dir, List<Rounds.Outcome> outcomes, int subscribers) {
        try {
            deliveriesByOfferedRate(outcomes, subscribers, dir.resolve("bench-deliveries.png"));
            latencyAtHalfPeak(outcomes, dir.resolve("bench-latency.png"));
            return "![Deliveries/s against offered msg/s](bench-deliveries.png)\n\n"
                    + "![Latency percentiles at half peak](bench-latency.png)\n";
        } catch (IOException | RuntimeException | Error e) {
            return "Plots not drawn: " + e + "\n";
        }
    }

    /**
     * Median deliveries/s at peak against subscribers, one line per system; {@code bySubscribers} maps each
     * subscriber count to the outcomes found with it. Returns the Markdown image link.
     */
    public static String drawSweep(Path dir, java.util.SortedMap<Integer, List<Rounds.Outcome>> bySubscribers) {
        try {
            XYSeriesCollection data = new XYSeriesCollection();
            java.util.Map<String, XYSeries> series = new java.util.LinkedHashMap<>();
            bySubscribers.forEach((subscribers, outcomes) -> {
                for (Rounds.Outcome o : outcomes) {
                    series.computeIfAbsent(o.subject().name(), n -> new XYSeries(n, true, true))
                            .add(subscribers.doubleValue(), o.atPeak(Result::deliveriesPerSecond).median());
                }
            });
            series.values().forEach(data::addSeries);
            JFreeChart chart = ChartFactory.createXYLineChart("Deliveries/s at peak against subscribers (medians)",
                    "subscribers", "deliveries/s", data, PlotOrientation.VERTICAL, true, false, false);
            XYPlot plot = chart.getXYPlot();
            plot.setRenderer(new XYLineAndShapeRenderer(true, true));
            plot.setDomainAxis(logAxis("subscribers (log)", 1));
            save(chart, dir.resolve("bench-subscribers.png"));
            return "![Deliveries/s at peak against subscribers](bench-subscribers.png)\n";
        } catch (IOException | RuntimeException | Error e) {
            return "Plot not drawn: " + e + "\n";
        }
    }

    /** Deliveries/s against the offered rate: every peak-search step of every round, one line per system. */
    public static void deliveriesByOfferedRate(List<Rounds.Outcome> outcomes, int subscribers, Path png)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Rounds.Outcome o : outcomes) {
            XYSeries series = new XYSeries(o.subject().name(), true, true);
            for (PeakSearch.Peak p : o.peaks()) {
                for (PeakSearch.Step s : p.steps()) {
                    series.add(s.rate(), s.result().deliveriesPerSecond());
                }
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Deliveries/s against offered msg/s (" + subscribers
                + " subscribers; every peak-search step)", "offered msg/s", "deliveries/s", data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setRenderer(new XYLineAndShapeRenderer(true, true));
        LogAxis x = logAxis("offered msg/s (log)", 1);
        plot.setDomainAxis(x);
        save(chart, png);
    }

    /** Latency percentiles at half of each system's own median peak (medians over the rounds), log scale. */
    public static void latencyAtHalfPeak(List<Rounds.Outcome> outcomes, Path png) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Rounds.Outcome o : outcomes) {
            String name = o.subject().name();
            data.addValue(floor(o.atHalf(Result::p50Ms).median()), name, "p50");
            data.addValue(floor(o.atHalf(Result::p99Ms).median()), name, "p99");
            data.addValue(floor(o.atHalf(Result::p999Ms).median()), name, "p99.9");
            data.addValue(floor(o.atHalf(Result::maxMs).median()), name, "max");
        }
        JFreeChart chart = ChartFactory.createLineChart("Publish-to-delivery latency at half of each system's "
                + "own median peak", "percentile", "ms", data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        LogAxis y = logAxis("ms (log)", 0.01);
        plot.setRangeAxis(y);
        save(chart, png);
    }

    /** A log axis labelled with plain numbers (not powers of ten). */
    private static LogAxis logAxis(String label, double smallest) {
        LogAxis axis = new LogAxis(label);
        axis.setSmallestValue(smallest);
        axis.setNumberFormatOverride(new DecimalFormat("#,##0.##"));
        return axis;
    }

    /** A log axis cannot show 0: an empty run is drawn at 0.01 ms. */
    private static double floor(double ms) {
        return Math.max(ms, 0.01);
    }

    private static void save(JFreeChart chart, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(Color.WHITE);
        if (chart.getPlot() instanceof XYPlot xy) {
            xy.setDomainGridlinePaint(Color.LIGHT_GRAY);
            xy.setRangeGridlinePaint(Color.LIGHT_GRAY);
        } else if (chart.getPlot() instanceof CategoryPlot category) {
            category.setRangeGridlinePaint(Color.LIGHT_GRAY);
        }
        if (png.getParent() != null) {
            Files.createDirectories(png.getParent());
        }
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }
}
